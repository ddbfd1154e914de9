"""The ``spillover`` command line: a thin layer over the Python API that scenario scripts use too.

One module per command group (:mod:`sim.cli.geo`: shapes, grid, map, population; :mod:`sim.cli.run`: run, demo;
:mod:`sim.cli.extract`; :mod:`sim.cli.figures`: figures, compare; :mod:`sim.cli.sweep`: sweep, sensitivity;
:mod:`sim.cli.evidence`: observed; :mod:`sim.cli.calibrate`: calibrate, forecast, evaluate) and the
shared plumbing in :mod:`sim.cli.common`: exit codes (0 ok, 1 environment, 2 bad input, 130 interrupted), messages
on stderr without markup, data on stdout, ``--format table|json|csv`` for tables.
"""
from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from sim.cli.common import QuietOption, VerboseOption, readable_metavars, run_app, set_verbosity
from sim.cli.calibrate import calibrate_command, evaluate_command, forecast_command
from sim.cli.evidence import observed_command
from sim.cli.extract import extract_command
from sim.cli.figures import compare_command, figures_command
from sim.cli.geo import grid_info, population_map, region_map, shapes_app
from sim.cli.run import demo, ensemble_command, run_scenario
from sim.cli.sweep import sensitivity_command, sweep_command

readable_metavars()
app = typer.Typer(
    name="spillover",
    help="How insurgency risk spreads from Mali into Burkina Faso and Niger as foreign troops leave.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help text is printed as written: [[add]], [km] stay
)


def _version(value: bool) -> None:
    if value:
        from sim import __version__

        print(f"spillover (sahel-spillover) {__version__}")
        raise typer.Exit(0)


@app.callback()
def _options(
    version: Annotated[Optional[bool], typer.Option(
        "--version", callback=_version, is_eager=True, help="print the version and exit")] = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """How insurgency risk spreads from Mali into Burkina Faso and Niger as foreign troops leave."""
    set_verbosity(quiet, verbose)


app.add_typer(shapes_app, name="shapes")
app.command("grid")(grid_info)
app.command("map")(region_map)
app.command("population")(population_map)
app.command("run")(run_scenario)
app.command("ensemble")(ensemble_command)
app.command("figures")(figures_command)
app.command("compare")(compare_command)
app.command("sweep")(sweep_command)
app.command("sensitivity")(sensitivity_command)
app.command("extract")(extract_command)
app.command("demo")(demo)
app.command("observed")(observed_command)
app.command("calibrate")(calibrate_command)
app.command("forecast")(forecast_command)
app.command("evaluate")(evaluate_command)


def main(argv: list[str] | None = None) -> int:
    """Run the ``spillover`` command line on ``argv`` (default: ``sys.argv[1:]``) and return its exit status.

    Examples
    --------
    >>> main(["--version"])  # doctest: +ELLIPSIS
    spillover (sahel-spillover) ...
    0
    """
    return run_app(app, argv)


def run_main() -> None:
    """Console-script entry point (and ``python -m sim.cli``): exit with :func:`main`'s status.

    Before the interpreter exits, the cyclic garbage collector is frozen and turned off (:func:`quick_exit_gc`).
    """
    rc = main()
    quick_exit_gc()
    sys.exit(rc)


def quick_exit_gc() -> None:
    """Freeze and disable the cyclic garbage collector: the interpreter's shutdown then skips its full collections.

    Once numba has loaded its registries the heap holds hundreds of thousands of objects (types, templates,
    LLVM wrappers), and the collections that ``Py_FinalizeEx`` runs while it tears the modules down took 0.3 s of
    every ``spillover run`` on the 2-core machine after the command had finished (0.03 s frozen). Only the
    collector is affected: ``atexit`` handlers, ``weakref.finalize`` callbacks, the flushing of stdout and
    stderr and objects freed by reference counting run as before; objects in reference cycles are not collected
    at exit (CPython never promised that they would be). Every file the commands write is closed (and renamed
    into place) before :func:`main` returns, so nothing depends on a collection at exit. Called only by
    :func:`run_main`, never by :func:`main` (tests and scripts keep their collector).
    """
    import gc

    gc.disable()
    gc.freeze()
