"""``python -m sim.cli``: the same as the ``spillover`` console script."""
from sim.cli import run_main

run_main()
