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
RISK_LABEL = "insurgency risk u: an abstract index from 0 (none) to 1 (saturated)"
#: Upper ends of the risk colour scale: the smallest one at or above the run's largest risk is used, so that a
#: run whose risk stays low is not drawn in one pale colour (the colour bar shows the end).
RISK_SCALE_STEPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)


def risk_vmax(largest: float) -> float:
    """The colour scale's upper end for a largest risk of ``largest`` (:data:`RISK_SCALE_STEPS`).

    >>> risk_vmax(0.13), risk_vmax(0.0), risk_vmax(0.7)
    (0.2, 0.01, 1.0)
    """
    for step in RISK_SCALE_STEPS:
        if largest <= step:
            return step
    return 1.0
#: On every figure of risk: what the number is not.
CAVEAT = ("Risk is an abstract index of a transparent scenario model: not a forecast, a probability or a count of "
          "events.")
#: Mali, Burkina Faso and Niger are highlighted in every chart; others are drawn faint.
FOCUS = ("MLI", "BFA", "NER")
FOCUS_COLOURS = {"MLI": "#1b4f9c", "BFA": "#c0392b", "NER": "#2e8b57"}
OTHER_COLOUR = "#9a9a9a"
BORDER_COLOUR = "#333333"
ADMIN1_COLOUR = "#8c8c8c"
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


def save_figure(fig, path: str | os.PathLike, formats: tuple[str, ...] = ("png",), description: str = "",
                max_colours: int | None = None, colour_maps: tuple[str, ...] = ()) -> list[Path]:
    """Save ``fig`` as ``path`` with each suffix in ``formats`` (png always first), atomically; close it.

    ``description`` (e.g. the provenance line) goes into each file's metadata; ``max_colours`` (≤ 256) stores the
    PNG with a palette of that many colours, several times smaller for raster maps at no visible cost, with 64
    levels of each of ``colour_maps`` kept so that their gradients show no banding.
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
            fig.savefig(tmp, format=fmt, metadata=_metadata(fmt, description))
            if fmt == "png" and max_colours:
                _palette_png(tmp, max_colours, _metadata(fmt, description), colour_maps)
        written.append(target)
    plt.close(fig)
    return written


def _palette_png(path: Path, colours: int, metadata: dict, colour_maps: tuple[str, ...] = ()) -> None:
    import numpy as np
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    with Image.open(path) as im:
        rgb = im.convert("RGB")
        dpi = im.info.get("dpi")
    colours = min(256, int(colours))
    ramps = [matplotlib.colormaps[name](np.linspace(0, 1, 64))[:, :3] for name in colour_maps]
    rest = colours - 64 * len(ramps) - 2
    if rest < 16:
        raise SpilloverError(f"max_colours={colours} leaves too few colours beside {len(ramps)} colour maps")
    own = rgb.quantize(colors=rest, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    fixed = [np.array([[255, 255, 255], [0, 0, 0]], dtype=np.uint8)]  # exact white background and black text
    fixed += [(ramp * 255).round().astype(np.uint8) for ramp in ramps]
    table = np.concatenate(fixed + [np.asarray(own.getpalette()[: 3 * rest], dtype=np.uint8).reshape(-1, 3)])
    # exact nearest palette colour of every distinct colour (Pillow's own lookup is approximate: it turns a white
    # background light grey)
    pixels = np.asarray(rgb, dtype=np.uint32)
    packed = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    unique, inverse = np.unique(packed.ravel(), return_inverse=True)
    ucol = np.stack([(unique >> 16) & 255, (unique >> 8) & 255, unique & 255], axis=1).astype(np.int32)
    nearest = np.empty(len(unique), dtype=np.uint8)
    for start in range(0, len(unique), 4096):
        block = ucol[start:start + 4096]
        nearest[start:start + 4096] = ((block[:, None, :] - table[None, :, :].astype(np.int32)) ** 2).sum(2).argmin(1)
    small = Image.frombytes("P", rgb.size, nearest[inverse].tobytes())
    small.putpalette(table.ravel().tolist())
    info = PngInfo()
    for key, value in metadata.items():
        info.add_text(key, value)
    small.save(path, format="PNG", optimize=True, pnginfo=info, **({"dpi": dpi} if dpi else {}))


def _metadata(fmt: str, description: str = "") -> dict:
    from sim import __version__

    creator = f"sahel-spillover {__version__}"
    meta = {"Creator": creator} if fmt in ("svg", "pdf") else {"Software": creator}
    if description:
        meta["Subject" if fmt == "pdf" else "Description"] = description
    return meta
