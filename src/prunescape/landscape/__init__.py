"""Filter-normalised, mask-aware loss landscapes for any PyTorch model.

Typical use: ``center = parameter_centre(model)``, ``dx, dy = plane(...)``,
``xs, ys = grid_coordinates(...)``, then ``evaluate_grid(...)`` (or ``run_tile``
per job and ``merge_tiles``), and ``viewer_frame`` for the web viewer's CSV.
"""

from prunescape.landscape.directions import (
    NORMS,
    PLANES,
    derived_seed,
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
    grid_axis,
    grid_coordinates,
    parameter_centre,
)
from prunescape.landscape.tiles import (
    VIEWER_COLUMNS,
    merge_tiles,
    run_tile,
    tile_rows,
    viewer_frame,
)

__all__ = [
    "GRID_COLUMNS",
    "NORMS",
    "PLANES",
    "VIEWER_COLUMNS",
    "BatchSums",
    "centre_included",
    "classification_sums",
    "derived_seed",
    "difference_direction",
    "metrics_from_sums",
    "pooled_sums",
    "evaluate_grid",
    "grid_axis",
    "grid_coordinates",
    "load_directions",
    "merge_tiles",
    "parameter_centre",
    "plane",
    "random_direction",
    "run_tile",
    "save_directions",
    "tile_rows",
    "viewer_frame",
]
