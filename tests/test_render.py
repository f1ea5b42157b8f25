"""Surface figures and epoch videos: grid placement, shared scales, reproducible files."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pandas as pd
import pytest

from prunescape.render import (
    colour_limits,
    comparison_figure,
    contour_figure,
    grid,
    heatmap_figure,
    last_epochs,
    render_frames,
    save_figure,
    surface_figure,
    write_video,
)


def bowl(nx: int, ny: int, shift: float = 0.0, xcol: str = "x", ycol: str = "y") -> pd.DataFrame:
    """A tidy nx × ny landscape (a shifted bowl), rows shuffled so order carries no meaning."""
    rows = []
    for y in np.linspace(-1, 1, ny):
        for x in np.linspace(-1, 1, nx):
            loss = 1.5 + (x - shift) ** 2 + 2 * y**2
            rows.append(
                {
                    "model": "baseline",
                    "epoch": 0,
                    "scale": 1.0,
                    xcol: x,
                    ycol: y,
                    "loss": loss,
                    "ppl": np.exp(loss),
                    "acc": 1 / (1 + loss),
                }
            )
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0).reset_index(drop=True)


def test_grid_places_values_by_coordinate_on_a_non_square_grid():
    frame = bowl(5, 3)
    frame.loc[(frame.x == 0.5) & (frame.y == -1.0), "loss"] = 99.0
    xs, ys, z = grid(frame, "loss")
    assert z.shape == (3, 5)
    np.testing.assert_allclose(xs, [-1, -0.5, 0, 0.5, 1])
    np.testing.assert_allclose(ys, [-1, 0, 1])
    assert z[0, 3] == 99.0
    assert np.count_nonzero(z == 99.0) == 1


def test_grid_uses_named_columns_and_rejects_mixed_epochs():
    xs, ys, z = grid(bowl(3, 5, xcol="alpha", ycol="beta"), "acc", "alpha", "beta")
    assert (xs.size, ys.size, z.shape) == (3, 5, (5, 3))
    with pytest.raises(ValueError, match="share one"):
        grid(pd.concat([bowl(3, 3), bowl(3, 3)]), "loss")


def test_colour_limits_span_every_epoch_given():
    epochs = {0: bowl(5, 3), 1: bowl(5, 3, shift=0.8)}
    lo, hi = colour_limits(pd.concat(epochs.values()), "loss")
    assert lo == min(f.loss.min() for f in epochs.values())
    assert hi == max(f.loss.max() for f in epochs.values())
    assert hi > colour_limits(epochs[0], "loss")[1]


def figures(frame: pd.DataFrame):
    models = {"baseline": frame, "w0-30": bowl(5, 3, shift=0.4)}
    yield "contour", contour_figure(frame, "loss", title="loss")
    yield "surface", surface_figure(frame, "ppl", title="ppl")
    yield "heatmap", heatmap_figure(frame, "acc", title="acc")
    yield "compare", comparison_figure(models, "ppl", title="models")
    yield "compare3d", comparison_figure(models, "loss", kind="surface", title="models")


@pytest.mark.parametrize("suffix", [".png", ".pdf"])
def test_figures_save_byte_identical_files(tmp_path, suffix):
    frame = bowl(5, 3)
    for name, fig in figures(frame):
        save_figure(fig, tmp_path / f"a-{name}{suffix}", dpi=60)
    for name, fig in figures(frame):
        save_figure(fig, tmp_path / f"b-{name}{suffix}", dpi=60)
    for name, _ in figures(frame):
        first = (tmp_path / f"a-{name}{suffix}").read_bytes()
        assert len(first) > 1000
        assert first == (tmp_path / f"b-{name}{suffix}").read_bytes(), name
    assert not list(tmp_path.glob(".*")), "temporary files left behind"


def test_save_figure_rejects_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"\.png or \.pdf"):
        save_figure(contour_figure(bowl(3, 3), "loss"), tmp_path / "x.jpg")


def epochs(count: int = 3) -> dict[int, pd.DataFrame]:
    return {e: bowl(5, 3, shift=0.4 * e, xcol="alpha", ycol="beta") for e in range(count)}


@pytest.mark.parametrize("draw", ["heatmap", "contour"])
def test_render_frames_fixed_size_and_changing_content(draw):
    images = render_frames(
        epochs(), "ppl", draw=draw, title_prefix="E2", xcol="alpha", ycol="beta", size=(320, 240)
    )
    assert len(images) == 3
    assert all(image.shape == (240, 320, 3) and image.dtype == np.uint8 for image in images)
    middle = slice(60, 180)  # below the title: only the surface itself changes here
    assert not np.array_equal(images[0][middle], images[1][middle])


@pytest.mark.parametrize("draw", ["heatmap", "contour"])
def test_each_frame_is_its_epoch_drawn_alone(draw):
    """Frames share one drawn background: nothing of an earlier epoch may show through."""
    frames = epochs()
    limits = (0.5, 50.0)
    together = render_frames(
        frames, "ppl", draw=draw, xcol="alpha", ycol="beta", size=(320, 240), limits=limits
    )
    for image, epoch in zip(together, sorted(frames), strict=True):
        (alone,) = render_frames(
            {epoch: frames[epoch]},
            "ppl",
            draw=draw,
            xcol="alpha",
            ycol="beta",
            size=(320, 240),
            limits=limits,
        )
        np.testing.assert_array_equal(image, alone)


def test_render_frames_keep_layout_when_data_repeat():
    same = bowl(5, 3, xcol="alpha", ycol="beta")
    first, second = render_frames(
        {1: same, 2: same}, "loss", xcol="alpha", ycol="beta", size=(320, 240)
    )
    assert not np.array_equal(first, second), "epoch number missing from the title"
    np.testing.assert_array_equal(first[60:], second[60:])


def test_render_frames_refuse_sizes_the_encoder_would_resize():
    with pytest.raises(ValueError, match="multiple of 16"):
        render_frames(epochs(), "loss", xcol="alpha", ycol="beta", size=(330, 240))


def test_write_video_mp4_and_gif_hold_every_epoch(tmp_path):
    images = render_frames(epochs(4), "loss", xcol="alpha", ycol="beta", size=(320, 240))
    mp4, gif = tmp_path / "e2.mp4", tmp_path / "e2.gif"
    write_video(images, mp4, gif, fps=2)
    decoded = list(iio.imiter(mp4, plugin="FFMPEG"))
    assert len(decoded) == 4
    assert decoded[0].shape == (240, 320, 3)
    props = iio.improps(gif, plugin="pillow")
    assert props.n_images == 4
    assert props.shape[1:3] == (240, 320)
    assert iio.immeta(gif, plugin="pillow")["loop"] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e2.gif", "e2.mp4"]
    before = mp4.read_bytes(), gif.read_bytes()
    write_video(images, mp4, gif, fps=2)
    assert (mp4.read_bytes(), gif.read_bytes()) == before, "reruns must give identical files"


def diverged(frame: pd.DataFrame, where: pd.Series | None = None) -> pd.DataFrame:
    """The frame with NaN metrics (every row, or where ``where`` holds), as after NaN losses."""
    out = frame.copy()
    rows = slice(None) if where is None else where
    out.loc[rows, ["loss", "ppl", "acc"]] = np.nan
    return out


def written(fig) -> str:
    """Every text the figure's panels carry."""
    return " ".join(text.get_text() for ax in fig.axes for text in ax.texts)


def test_all_nan_figures_say_so_instead_of_failing(tmp_path):
    nan = diverged(bowl(5, 3))
    assert colour_limits(nan, "loss") is None
    made = [
        contour_figure(nan, "loss"),
        surface_figure(nan, "ppl"),
        heatmap_figure(nan, "acc"),
        comparison_figure({"baseline": nan, "w0-30": nan}, "loss", kind="surface"),
    ]
    for i, fig in enumerate(made):
        assert "no finite" in written(fig)
        save_figure(fig, tmp_path / f"{i}.png", dpi=40)
    assert len(list(tmp_path.glob("*.png"))) == 4


def test_partly_nan_cells_are_gaps_and_other_models_keep_their_panels():
    frame = bowl(5, 3)
    partly = diverged(frame, frame.x > 0.25)
    assert colour_limits(partly, "loss") == colour_limits(frame[frame.x <= 0.25], "loss")
    for fig in [
        contour_figure(partly, "loss"),
        surface_figure(partly, "ppl"),
        heatmap_figure(partly, "acc"),
    ]:
        assert "no finite" not in written(fig)
        assert len(fig.axes) == 2, "the colourbar is drawn"
    mixed = comparison_figure({"baseline": frame, "w0-80": diverged(frame)}, "acc", kind="heatmap")
    assert "no finite accuracy" in written(mixed)
    assert len(mixed.axes) == 3, "two panels and the colourbar"


def test_frames_of_diverged_epochs_say_so_and_keep_the_layout():
    good = bowl(5, 3, xcol="alpha", ycol="beta")
    by_epoch = {0: good, 1: diverged(good, good.alpha > 0), 2: diverged(good)}
    images = render_frames(by_epoch, "loss", xcol="alpha", ycol="beta", size=(320, 240))
    assert len({image.shape for image in images}) == 1
    nothing = render_frames({0: diverged(good)}, "ppl", xcol="alpha", ycol="beta", size=(320, 240))
    assert nothing[0].shape == (240, 320, 3)


def test_one_figure_saves_every_format_reproducibly(tmp_path):
    for run in ("a", "b"):
        paths = [tmp_path / f"{run}.png", tmp_path / f"{run}.pdf"]
        save_figure(comparison_figure({"m": bowl(5, 3)}, "loss", title="t"), paths, dpi=60)
    for suffix in (".png", ".pdf"):
        assert (tmp_path / f"a{suffix}").read_bytes() == (tmp_path / f"b{suffix}").read_bytes()


def test_each_model_is_drawn_at_its_own_last_epoch():
    """A run the plateau rule stopped at epoch 2 is drawn there, another at 4."""
    tidy = pd.concat(
        [
            bowl(3, 3).assign(model=model, epoch=epoch)
            for model, epochs in (("a", (0, 2)), ("b", (0, 3, 4)))
            for epoch in epochs
        ]
    )
    drawn = last_epochs(tidy)
    assert drawn.groupby("model")["epoch"].unique().map(list).to_dict() == {"a": [2], "b": [4]}
    assert len(drawn) == 2 * 9


def test_measure_figures_draw_every_panel_and_say_what_is_missing(tmp_path):
    from prunescape.render.measures import lines_figure, spectrum_figure, trajectory_figure

    spectra = pd.DataFrame(
        [
            (seed, model, epoch, quantity, 0, value)
            for seed in (0, 1)
            for model in ("baseline", "w0-80")
            for epoch in ((0, 5) if seed == 0 else (5,))
            for quantity, value in (
                ("loss", 1.0),
                ("kept_weights", 100.0),
                ("eigenvalue", 2.0 + seed),
                ("trace", np.nan if model == "w0-80" else 50.0),
            )
        ],
        columns=["seed", "model", "epoch", "quantity", "index", "value"],
    )
    fig = spectrum_figure(spectra, ["baseline", "w0-80"], seed=0)
    by_epoch, lam, _ = fig.axes[:3]
    assert [len(line.get_xdata()) for line in by_epoch.get_lines()] == [2, 2]
    assert [patch.get_height() for patch in lam.patches] == [2.5, 2.5]
    save_figure(fig, tmp_path / "spectrum.png")

    ts = np.linspace(-0.2, 1.2, 8)
    lines = pd.concat(
        pd.DataFrame({"seed": seed, "kind": kind, "a": "w0-80", "b": b, "t": ts, "loss": ts + seed})
        for seed in (0, 1)
        for kind, b in (("same mask", "random-80"), ("data order", "w0-80 reordered"))
    )
    barriers = pd.DataFrame(
        {"a": "w0-80", "b": ["random-80", "random-80"], "loss_barrier": [1.0, 2.0]}
    )
    fig = lines_figure(lines, barriers)
    assert [ax.get_title() for ax in fig.axes] == ["same mask (2 seeds)", "data order (2 seeds)"]
    labels = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert labels == ["w0-80 → random-80 (barrier 1.5)"]
    mean = fig.axes[0].get_lines()[0].get_ydata()
    np.testing.assert_allclose(mean, ts + 0.5)  # the mean of the two seeds
    save_figure(fig, tmp_path / "lines.png")

    path = pd.DataFrame({"epoch": [0, 1, 2], "x": [1.0, 0.5, 0.0], "y": [0.2, -0.1, 0.0]}).assign(
        explained_x=0.75, explained_y=0.2
    )
    empty = pd.DataFrame(columns=path.columns)
    fig = trajectory_figure(
        {"baseline": bowl(5, 5), "w0-80": bowl(0, 0)[:0]}, {"baseline": path, "w0-80": empty}
    )
    assert fig.axes[0].get_title() == "baseline: 75 % + 20 %"
    assert "no trajectory plane" in fig.axes[1].texts[0].get_text()
    save_figure(fig, tmp_path / "trajectories.png")
    assert iio.imread(tmp_path / "trajectories.png").shape[1] > 2 * 400
