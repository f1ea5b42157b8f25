"""Where a finished run's time went: per rule, how many jobs and job-seconds, and
how much of each job was spent starting Python (interpreter, imports) before its
payload; then the critical path against the run's wall time.

Many of the workflow's jobs are short, so a second or two of start-up each adds
up; this says which rules to group or merge, and whether the run is bound by
job count or by one long chain of dependencies.

Jobs come from Snakemake's metadata records (``.snakemake/metadata/``, one per
output file, with the rule, the start and end time, inputs and logs). Start-up
comes from the timing line :func:`prunescape.runtime.job` writes last in each
log; rules without one (``run:`` or shell rules) show n/a. Records of earlier
invocations stay until their outputs are rebuilt, so measure a fresh workdir.

    python3 benchmarks/workflow_overhead.py [WORKDIR]   # default: .
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

# Written by prunescape.runtime.job (not imported here: that would import torch).
TIMING_PREFIX = "prunescape-timing "


class Timing(NamedTuple):
    """A job process's timing line: creation, payload start and end, Unix seconds."""

    process_started: float
    payload_started: float
    ended: float

    @property
    def startup(self) -> float:
        return self.payload_started - self.process_started

    @property
    def lifetime(self) -> float:
        return self.ended - self.process_started

    @property
    def share(self) -> float:
        """The job's start-up share: start-up seconds over the process's seconds."""
        return self.startup / self.lifetime if self.lifetime > 0 else 0.0


@dataclass
class Job:
    rule: str
    start: float
    end: float
    outputs: list[str]
    inputs: list[str]
    logs: list[str]
    timing: Timing | None = None

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


def decode_record_name(relative: Path) -> str | None:
    """The output path a record file is named after: Snakemake's FilePersistence
    names it by the urlsafe base64 of the path, cut into '@'-prefixed folders
    when longer than the file system's name limit."""
    encoded = "".join(part.removeprefix("@") for part in relative.parts)
    try:
        return base64.urlsafe_b64decode(encoded).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def read_records(metadata: Path) -> dict[str, dict]:
    """Output path → its finished record; unreadable or unfinished ones are skipped,
    as Snakemake itself skips records that are being written."""
    records = {}
    for path in sorted(metadata.rglob("*")):
        output = decode_record_name(path.relative_to(metadata)) if path.is_file() else None
        if output is None:
            continue
        try:
            record = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        finished = isinstance(record, dict) and not record.get("incomplete")
        if finished and record.get("starttime") is not None and record.get("endtime") is not None:
            records[os.path.normpath(output)] = record
    return records


def group_jobs(records: dict[str, dict]) -> list[Job]:
    """One job per (job_hash, rule, inputs, logs): the hash is only unique within
    one Snakemake invocation, so the rest keeps jobs of different ones apart. A
    job starts with its first output's record and ends with its last output file."""
    jobs: dict[tuple, Job] = {}
    for output, record in records.items():
        inputs = sorted(os.path.normpath(path) for path in record.get("input") or [])
        logs = list(record.get("log") or [])
        key = (record.get("job_hash"), record.get("rule"), tuple(inputs), tuple(logs))
        job = jobs.get(key)
        if job is None:
            rule = record.get("rule") or "?"
            start, end = record["starttime"], record["endtime"]
            jobs[key] = Job(rule, start, end, [output], inputs, logs)
        else:
            job.outputs.append(output)
            job.start = min(job.start, record["starttime"])
            job.end = max(job.end, record["endtime"])
    return list(jobs.values())


def read_timing(log_text: str) -> Timing | None:
    """The last timing line of a log, if any."""
    for line in reversed(log_text.splitlines()):
        if line.startswith(TIMING_PREFIX):
            try:
                times = json.loads(line.removeprefix(TIMING_PREFIX))
                return Timing(
                    float(times["process_started"]),
                    float(times["payload_started"]),
                    float(times["ended"]),
                )
            except (ValueError, KeyError, TypeError):
                return None
    return None


def attach_timings(jobs: list[Job], workdir: Path) -> None:
    """Give each job the timing line of its first log that has one."""
    for job in jobs:
        for log in job.logs:
            try:
                job.timing = read_timing((workdir / log).read_text(errors="replace"))
            except OSError:
                continue
            if job.timing is not None:
                break


def critical_path(jobs: list[Job]) -> list[Job]:
    """The longest chain of jobs, each reading an output of the one before, by the
    sum of their seconds. A job only counts as upstream if it started earlier,
    which keeps stale records of earlier invocations from forming cycles."""
    producer = {output: job for job in jobs for output in job.outputs}
    ordered = sorted(jobs, key=lambda job: job.start)
    longest: dict[int, float] = {}
    previous: dict[int, Job | None] = {}
    for job in ordered:
        upstream = {
            id(producer[path]): producer[path]
            for path in job.inputs
            if path in producer and producer[path].start < job.start
        }
        best = max(upstream.values(), key=lambda up: longest[id(up)], default=None)
        longest[id(job)] = job.seconds + (longest[id(best)] if best else 0.0)
        previous[id(job)] = best
    if not ordered:
        return []
    job: Job | None = max(ordered, key=lambda job: longest[id(job)])
    chain = []
    while job is not None:
        chain.append(job)
        job = previous[id(job)]
    return chain[::-1]


class Row(NamedTuple):
    name: str
    jobs: int
    seconds: float
    startup: float | None  # start-up seconds of the timed jobs
    mean_share: float | None  # mean of the timed jobs' shares
    total_share: float | None  # their start-up seconds over their process seconds


def summarise(name: str, jobs: list[Job]) -> Row:
    """One table row; start-up figures are over the jobs that have a timing line."""
    timed = [job.timing for job in jobs if job.timing is not None]
    seconds = sum(job.seconds for job in jobs)
    if not timed:
        return Row(name, len(jobs), seconds, None, None, None)
    startup = sum(t.startup for t in timed)
    lifetime = sum(t.lifetime for t in timed)
    mean = sum(t.share for t in timed) / len(timed)
    return Row(name, len(jobs), seconds, startup, mean, startup / lifetime if lifetime else 0.0)


def rule_rows(jobs: list[Job]) -> list[Row]:
    """Per-rule rows, most job-seconds first."""
    by_rule: dict[str, list[Job]] = defaultdict(list)
    for job in jobs:
        by_rule[job.rule].append(job)
    rows = [summarise(rule, members) for rule, members in by_rule.items()]
    return sorted(rows, key=lambda row: (-row.seconds, row.name))


def report(jobs: list[Job]) -> str:
    """The table, the totals line and the critical path, as printed."""

    def line(row: Row) -> str:
        def maybe(value: float | None, form: str) -> str:
            return "n/a" if value is None else format(value, form)

        return (
            f"{row.name:<28} {row.jobs:>5} {row.seconds:>10.1f} {maybe(row.startup, '.1f'):>10}"
            f" {maybe(row.mean_share, '.1%'):>13} {maybe(row.total_share, '.1%'):>14}"
        )

    header = (
        f"{'rule':<28} {'jobs':>5} {'job-s':>10} {'start-up s':>10}"
        f" {'start-up mean':>13} {'start-up total':>14}"
    )
    lines = [header, "-" * len(header)]
    lines += [line(row) for row in rule_rows(jobs)]
    lines += ["-" * len(header), line(summarise("total", jobs)), ""]
    wall = max(job.end for job in jobs) - min(job.start for job in jobs)
    chain = critical_path(jobs)
    length = sum(job.seconds for job in chain)
    share = f"{length / wall:.0%}" if wall > 0 else "n/a"
    lines.append(
        f"critical path {length:.1f} s over {len(chain)} jobs, {share} of the wall time "
        f"{wall:.1f} s (first job start to last job end)"
    )
    lines += [f"  {job.rule:<26} {job.seconds:>10.1f} s" for job in chain]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", nargs="?", default=".", type=Path)
    args = parser.parse_args(argv)
    metadata = args.workdir / ".snakemake" / "metadata"
    if not metadata.is_dir():
        print(
            f"error: no Snakemake metadata in {metadata}; run the workflow there first",
            file=sys.stderr,
        )
        return 1
    jobs = group_jobs(read_records(metadata))
    if not jobs:
        print(f"error: no finished job recorded in {metadata}", file=sys.stderr)
        return 1
    attach_timings(jobs, args.workdir)
    print(report(jobs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
