"""prunescape: convergence, pruning and loss landscapes of transformers, reproducibly."""

__version__ = "0.1.0"
