"""The shared look of every figure: fonts, sizes, colour maps and the atomic save.

Risk uses one sequential colour map whose lightness falls monotonically from 0 to 1 (``inferno_r``), so maps stay
readable when printed in greyscale; differences use a diverging map centred on 0.
"""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures are files; never need a display
import matplotlib.pyplot as plt  # noqa: E402

from geo.atomic import atomic_path  # noqa: E402
from geo.errors import SpilloverError  # noqa: E402

RISK_CMAP = "inferno_r"
DIFF_CMAP = "RdBu_r"
RISK_LABEL = "insurgency risk u (0–1, dimensionless)"
#: Mali, Burkina Faso and Niger are highlighted in every chart; others are drawn faint.
FOCUS = ("MLI", "BFA", "NER")
FOCUS_COLOURS = {"MLI": "#1b4f9c", "BFA": "#c0392b", "NER": "#2e8b57"}
OTHER_COLOUR = "#9a9a9a"
BORDER_COLOUR = "#333333"
FORMATS = ("png", "svg", "pdf")
DPI = 150

RC = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "savefig.bbox": "tight",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.family": "DejaVu Sans",
}


def apply_style() -> None:
    """Set the project's matplotlib defaults."""
    plt.rcParams.update(RC)


def save_figure(fig, path: str | os.PathLike, formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """Save ``fig`` as ``path`` with each suffix in ``formats`` (png always first), atomically; close it.

    Returns the written paths.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise SpilloverError(f"unknown figure format(s) {bad}; valid: {list(FORMATS)}")
    path = Path(path)
    written = []
    for fmt in dict.fromkeys(("png",) + tuple(formats)):
        target = path.with_suffix(f".{fmt}")
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=fmt, metadata=_metadata(fmt))
        written.append(target)
    plt.close(fig)
    return written


def _metadata(fmt: str) -> dict:
    from sim import __version__

    creator = f"sahel-spillover {__version__}"
    return {"Creator": creator} if fmt in ("svg", "pdf") else {"Software": creator}
