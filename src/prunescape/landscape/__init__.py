"""Filter-normalised, mask-aware loss landscapes for any PyTorch model.

Typical use: ``center = parameter_centre(model)``, ``dx, dy = plane(...)``,
``xs, ys = grid_coordinates(...)``, then ``evaluate_grid(...)`` (or ``run_tile``
per job and ``merge_tiles``), and ``viewer_frame`` for the web viewer's CSV.
"""

from prunescape.landscape.directions import (
    NORMS,
    PLANES,
    difference_direction,
    load_directions,
    plane,
    random_direction,
    save_directions,
)
from prunescape.landscape.evaluation import (
    BatchSums,
    classification_sums,
    metrics_from_sums,
    pooled_sums,
)
from prunescape.landscape.grid import (
    GRID_COLUMNS,
    centre_included,
    evaluate_grid,
    frozen_parameters,
    grid_axis,
    grid_coordinates,
    parameter_centre,
)
from prunescape.landscape.hessian import (
    SPECTRUM_COLUMNS,
    Eigenvalues,
    HessianVectorProduct,
    NonFiniteCurvature,
    TraceEstimate,
    evaluation_mode,
    hessian_spectrum,
    hutchinson_trace,
    lanczos,
    power_iteration,
    undefined_spectrum,
)
from prunescape.landscape.interpolation import (
    LINE_COLUMNS,
    Barrier,
    interpolate,
    line_points,
    loss_barrier,
)
from prunescape.landscape.runs import (
    RUN_GRID_COLUMNS,
    epoch_weights_path,
    merge_run_tiles,
    run_epochs,
    run_grids,
    run_plane,
)
from prunescape.landscape.tiles import (
    VIEWER_COLUMNS,
    merge_tiles,
    run_tile,
    tile_rows,
    viewer_frame,
)
from prunescape.landscape.trajectory import TrajectoryPlane, path_range, trajectory_plane

__all__ = [
    "GRID_COLUMNS",
    "LINE_COLUMNS",
    "NORMS",
    "PLANES",
    "RUN_GRID_COLUMNS",
    "SPECTRUM_COLUMNS",
    "VIEWER_COLUMNS",
    "Barrier",
    "BatchSums",
    "Eigenvalues",
    "HessianVectorProduct",
    "NonFiniteCurvature",
    "TraceEstimate",
    "TrajectoryPlane",
    "centre_included",
    "classification_sums",
    "difference_direction",
    "epoch_weights_path",
    "evaluate_grid",
    "evaluation_mode",
    "frozen_parameters",
    "grid_axis",
    "grid_coordinates",
    "hessian_spectrum",
    "hutchinson_trace",
    "interpolate",
    "lanczos",
    "line_points",
    "load_directions",
    "loss_barrier",
    "merge_run_tiles",
    "merge_tiles",
    "metrics_from_sums",
    "parameter_centre",
    "path_range",
    "plane",
    "pooled_sums",
    "power_iteration",
    "random_direction",
    "run_epochs",
    "run_grids",
    "run_plane",
    "run_tile",
    "save_directions",
    "tile_rows",
    "trajectory_plane",
    "undefined_spectrum",
    "viewer_frame",
]
