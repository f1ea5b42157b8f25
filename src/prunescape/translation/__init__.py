"""Translation data, the study's transformer, its training and evaluation (E2, E3)."""
