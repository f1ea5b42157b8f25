"""Experiment 1: optimisers on a single attention block."""
