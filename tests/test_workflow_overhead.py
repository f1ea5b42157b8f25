"""The overhead report reads Snakemake's own metadata records and the jobs' timing lines.

A four-job run, written with Snakemake's FilePersistence: ``data`` (two outputs)
feeds two ``train`` jobs, both feed ``summary`` (a ``run:`` rule, no timing line).
"""

import importlib.util
import sys
from pathlib import Path

import pytest
from snakemake.persistence import MetadataRecord
from snakemake.persistence.file import FilePersistence

from prunescape.runtime import timing_line

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "workflow_overhead.py"
# Longer than a file name may be once encoded, so its record sits under '@' folders.
LONG = "results/t/models/" + "m" * 300 + ".pt"


@pytest.fixture(scope="module")
def overhead():
    spec = importlib.util.spec_from_file_location("workflow_overhead", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


# (rule, job_hash, {output: (start, end)}, inputs, timing or None)
JOBS = [
    ("data", 11, {"d/data.pt": (1000.0, 1010.0), "d/data.json": (1000.01, 1008.0)}, [],
     (1000.5, 1002.5, 1009.5)),
    ("train", 12, {"m/1.pt": (1011.0, 1041.0)}, ["d/data.pt"], (1011.2, 1014.2, 1041.0)),
    ("train", 13, {LONG: (1011.0, 1031.0)}, ["d/data.pt"], (1011.0, 1012.0, 1031.0)),
    ("summary", 14, {"s.md": (1042.0, 1044.0)}, ["m/1.pt", LONG], None),
]  # fmt: skip


@pytest.fixture
def workdir(tmp_path):
    persistence = FilePersistence(path=tmp_path / ".snakemake")
    for rule, job_hash, outputs, inputs, timing in JOBS:
        log = f"logs/{rule}_{job_hash}.log"
        (tmp_path / "logs").mkdir(exist_ok=True)
        lines = ["some progress"] + ([timing_line(*timing)] if timing else [])
        (tmp_path / log).write_text("\n".join(lines) + "\n")
        for output, (start, end) in outputs.items():
            record = MetadataRecord(
                rule=rule, input=inputs, log=[log], job_hash=job_hash, starttime=start,
                endtime=end, incomplete=False, record_format_version=6,
            )  # fmt: skip
            persistence._write_record(output, record)
    return tmp_path


def test_records_decode_to_their_outputs(overhead, workdir):
    metadata = workdir / ".snakemake" / "metadata"
    assert any(path.name.startswith("@") for path in metadata.iterdir())
    records = overhead.read_records(metadata)
    assert set(records) == {"d/data.pt", "d/data.json", "m/1.pt", LONG, "s.md"}
    assert records[LONG]["rule"] == "train" and records[LONG]["job_hash"] == 13


def test_jobs_rules_and_start_up(overhead, workdir):
    jobs = overhead.group_jobs(overhead.read_records(workdir / ".snakemake" / "metadata"))
    overhead.attach_timings(jobs, workdir)
    data = next(job for job in jobs if job.rule == "data")
    assert len(jobs) == 4 and sorted(data.outputs) == ["d/data.json", "d/data.pt"]
    assert (data.start, data.end) == (1000.0, 1010.0)  # first start, last output's end

    rows = {row.name: row for row in overhead.rule_rows(jobs)}
    assert [row.name for row in overhead.rule_rows(jobs)] == ["train", "data", "summary"]
    assert rows["train"].jobs == 2 and rows["train"].seconds == pytest.approx(50.0)
    assert rows["train"].startup == pytest.approx(4.0)
    assert rows["train"].mean_share == pytest.approx((3 / 29.8 + 1 / 20) / 2)
    assert rows["train"].total_share == pytest.approx(4 / 49.8)
    assert rows["data"].seconds == pytest.approx(10.0)
    assert rows["data"].mean_share == pytest.approx(2 / 9)
    assert rows["summary"][2:] == (pytest.approx(2.0), None, None, None)

    total = overhead.summarise("total", jobs)
    assert total.jobs == 4 and total.seconds == pytest.approx(62.0)
    assert total.total_share == pytest.approx(6 / 58.8)
    assert total.mean_share == pytest.approx((2 / 9 + 3 / 29.8 + 1 / 20) / 3)


def test_critical_path_follows_the_longest_chain(overhead, workdir):
    jobs = overhead.group_jobs(overhead.read_records(workdir / ".snakemake" / "metadata"))
    chain = overhead.critical_path(jobs)
    assert [job.rule for job in chain] == ["data", "train", "summary"]
    assert chain[1].outputs == ["m/1.pt"]  # the 30 s train job, not the 20 s one
    assert sum(job.seconds for job in chain) == pytest.approx(42.0)


def test_printed_report(overhead, workdir, capsys):
    assert overhead.main([str(workdir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{'rule':<28}  jobs      job-s start-up s start-up mean start-up total"
    assert lines[2].split() == ["train", "2", "50.0", "4.0", "7.5%", "8.0%"]
    assert lines[3].split() == ["data", "1", "10.0", "2.0", "22.2%", "22.2%"]
    assert lines[4].split() == ["summary", "1", "2.0", "n/a", "n/a", "n/a"]
    assert lines[6].split() == ["total", "4", "62.0", "6.0", "12.4%", "10.2%"]
    assert lines[8] == (
        "critical path 42.0 s over 3 jobs, 95% of the wall time 44.0 s "
        "(first job start to last job end)"
    )
    assert [line.split() for line in lines[9:]] == [
        ["data", "10.0", "s"],
        ["train", "30.0", "s"],
        ["summary", "2.0", "s"],
    ]


def test_missing_metadata_is_one_line(overhead, tmp_path, capsys):
    assert overhead.main([str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no Snakemake metadata" in err
