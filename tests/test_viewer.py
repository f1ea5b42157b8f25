"""The viewer reads both CSV layouts, reshapes grids the right way round, and
writes one deterministic, offline HTML page."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from prunescape import landscape
from prunescape.viewer import build_viewer, data, load_landscape_csv, viewer_payload
from prunescape.viewer.__main__ import main as viewer_main


def _grid_rows(nx: int, ny: int, scale: float) -> list[tuple[float, float]]:
    """(x, y) pairs y-major then x, as the project writes them."""
    xs = np.linspace(-scale, scale, nx)
    ys = np.linspace(-scale, scale, ny)
    return [(float(x), float(y)) for y in ys for x in xs]


def write_viewer_csv(path, models=("baseline", "w0-30"), epochs=(1, 2), scales=(1.0, 0.2)):
    """A small CSV in the project's viewer format, 4×3 grid; loss encodes its own cell."""
    rows = []
    experiment = 0
    for m, model in enumerate(models):
        for epoch in epochs:
            for scale in scales:
                for x, y in _grid_rows(4, 3, scale):
                    loss = 1 + m + epoch / 10 + x / scale + 10 * y / scale
                    rows.append(
                        (experiment, x, y, loss, model, epoch, scale, math.exp(loss), 0.5 - y / 4)
                    )
                experiment += 1
    columns = ["id", "x", "y", "loss", "model", "epoch", "scale", "ppl", "acc"]
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return path


def write_legacy_csv(path, n=2, nx=5, ny=3):
    rows = [(i, x, y, i + x + 10 * y) for i in range(n) for x, y in _grid_rows(nx, ny, scale=1.0)]
    pd.DataFrame(rows, columns=["id", "x", "y", "loss"]).to_csv(path, index=False)
    return path


def embedded_payload(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="landscape-data">(.*?)</script>', html)
    assert match, "data block missing"
    return json.loads(match.group(1))


def test_one_column_list_for_the_landscape_and_the_viewer(tmp_path):
    assert not hasattr(data, "COLUMNS")
    tidy = load_landscape_csv(write_viewer_csv(tmp_path / "a.csv")).drop(columns="id")
    written = landscape.viewer_frame(tidy)
    written.to_csv(tmp_path / "b.csv", index=False)
    pd.testing.assert_frame_equal(load_landscape_csv(tmp_path / "b.csv"), written)


def test_load_viewer_format(tmp_path):
    frame = load_landscape_csv(write_viewer_csv(tmp_path / "a.csv"))
    assert list(frame.columns) == ["id", "x", "y", "loss", "model", "epoch", "scale", "ppl", "acc"]
    assert list(pd.unique(frame["model"])) == ["baseline", "w0-30"]
    assert sorted(frame["epoch"].unique()) == [1, 2]
    assert sorted(frame["scale"].unique()) == [0.2, 1.0]
    assert frame["ppl"].notna().all() and frame["acc"].notna().all()


def test_load_legacy_format_defaults(tmp_path):
    frame = load_landscape_csv(write_legacy_csv(tmp_path / "legacy.csv"))
    assert list(pd.unique(frame["model"])) == ["exp0", "exp1"]
    assert (frame["epoch"] == 0).all()
    assert (frame["scale"] == 1.0).all()
    assert frame["ppl"].isna().all() and frame["acc"].isna().all()
    payload = viewer_payload(frame)
    assert payload["metrics"] == ["loss"]
    assert payload["models"] == ["exp0", "exp1"]
    assert set(payload["experiments"][0]["z"]) == {"loss"}


def test_missing_columns_are_reported(tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"id": [0], "x": [0.0], "loss": [1.0]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"bad\.csv.*\['y'\]"):
        load_landscape_csv(path)


def test_non_square_grid_orientation(tmp_path):
    """z is indexed [y][x]: with 5 x-values and 3 y-values, z has 3 rows of 5."""
    frame = load_landscape_csv(write_legacy_csv(tmp_path / "legacy.csv", n=1, nx=5, ny=3))
    experiment = viewer_payload(frame)["experiments"][0]
    assert experiment["x"] == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert experiment["y"] == [-1.0, 0.0, 1.0]
    z = experiment["z"]["loss"]
    assert (len(z), len(z[0])) == (3, 5)
    # cell (row y=1.0, column x=-0.5): loss = x + 10 y
    assert z[2][1] == pytest.approx(-0.5 + 10.0)
    assert z[0][4] == pytest.approx(1.0 - 10.0)


def test_grid_placed_by_coordinates_not_row_order(tmp_path):
    path = write_legacy_csv(tmp_path / "legacy.csv", n=1, nx=5, ny=3)
    shuffled = tmp_path / "shuffled.csv"
    pd.read_csv(path).sample(frac=1, random_state=0).to_csv(shuffled, index=False)
    expected = viewer_payload(load_landscape_csv(path))
    assert viewer_payload(load_landscape_csv(shuffled)) == expected


def test_incomplete_grid_is_rejected(tmp_path):
    path = write_legacy_csv(tmp_path / "legacy.csv", n=1)
    holed = tmp_path / "holed.csv"
    pd.read_csv(path).iloc[1:].to_csv(holed, index=False)
    with pytest.raises(ValueError, match="full 5×3 grid"):
        viewer_payload(load_landscape_csv(holed))


def test_colour_limits_shared_per_metric_and_scale(tmp_path):
    frame = load_landscape_csv(write_viewer_csv(tmp_path / "a.csv"))
    payload = viewer_payload(frame)
    assert payload["scales"] == [1.0, 0.2]
    assert payload["metrics"] == ["loss", "ppl", "acc"]
    for s, scale in enumerate(payload["scales"]):
        values = frame.loc[frame["scale"] == scale, "loss"]
        assert payload["limits"]["loss"][s] == [values.min(), values.max()]


def test_html_is_offline_complete_and_deterministic(tmp_path):
    csv = write_viewer_csv(tmp_path / "a.csv")
    first, second = tmp_path / "one.html", tmp_path / "two.html"
    build_viewer([csv], first, title="Pruned <models> — ε")
    build_viewer([csv], second, title="Pruned <models> — ε")
    html = first.read_text(encoding="utf-8")
    assert first.read_bytes() == second.read_bytes()
    assert get_plotlyjs()[:2000] in html
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert "<title>Pruned &lt;models&gt; — ε</title>" in html
    payload = embedded_payload(html)
    assert payload["models"] == ["baseline", "w0-30"]
    assert len(payload["experiments"]) == 2 * 2 * 2
    assert payload["experiments"][0]["z"]["loss"][0][0] == pytest.approx(1 + 0.1 - 1 - 10)


def test_several_csvs_and_duplicates(tmp_path):
    a = write_viewer_csv(tmp_path / "a.csv", models=("baseline",))
    b = write_viewer_csv(tmp_path / "b.csv", models=("w0-80",))
    out = tmp_path / "page.html"
    build_viewer([a, b], out, title="two files")
    assert embedded_payload(out.read_text(encoding="utf-8"))["models"] == ["baseline", "w0-80"]
    with pytest.raises(ValueError, match="appears in both"):
        build_viewer([a, a], tmp_path / "dup.html", title="dup")


def test_cli_writes_page(tmp_path, capsys):
    csv = write_legacy_csv(tmp_path / "legacy.csv")
    out = tmp_path / "view" / "page.html"
    viewer_main([str(out), str(csv), "--title", "LossPlot"])
    assert "<title>LossPlot</title>" in out.read_text(encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        viewer_main([str(out), str(tmp_path / "missing.csv")])
    assert exit_info.value.code == 1
    assert "missing.csv" in capsys.readouterr().err
