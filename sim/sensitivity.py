"""Moved to :mod:`sim.sweep.sensitivity`; this name stays until the CLI imports it from there."""
from sim.sweep.sensitivity import *  # noqa: F401,F403
from sim.sweep.sensitivity import analyze, analyze_path, default_metrics, plot, point_values, print_table  # noqa: F401
