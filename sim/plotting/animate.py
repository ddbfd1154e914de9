"""An animation of risk spreading: one frame per snapshot (or every k-th), the date on every frame.

GIF (Pillow) by default; MP4 (H.264) on request when an ffmpeg executable is available (the ``imageio-ffmpeg``
package's, else one on ``PATH``), otherwise the GIF with a notice. Frames are rendered one snapshot at a time with
matplotlib (the figure is drawn once and only the raster, the date and the timeline bar change), so memory holds one
snapshot plus the encoded frames, never the run's whole time series.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from geo.atomic import atomic_path
from geo.errors import SpilloverError
from sim.plotting.maps import (FOOTER_STYLE, RunData, countries_for, display_field, draw_risk, opened,
                               scenario_title)
from sim.plotting.style import CAVEAT, RISK_CMAP, RISK_LABEL, apply_style

#: Frame size in pixels is FRAME_INCHES × FRAME_DPI (small enough for a README, large enough for a slide).
FRAME_INCHES = (8.0, 6.1)
FRAME_DPI = 100
ANIMATION_FORMATS = ("gif", "mp4")


def frame_indices(data: RunData, every: int = 1) -> list[int]:
    """Snapshot indices of the frames: every ``every``-th from the first, and always the last."""
    if not isinstance(every, (int, np.integer)) or isinstance(every, bool) or every < 1:
        raise SpilloverError(f"every = {every!r}; valid: a whole number of snapshots ≥ 1")
    n = len(data.dates)
    indices = list(range(0, n, int(every)))
    if indices[-1] != n - 1:
        indices.append(n - 1)
    return indices


def ffmpeg_executable() -> str | None:
    """An ffmpeg executable: imageio-ffmpeg's if installed, else ``ffmpeg`` on PATH, else None."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return shutil.which("ffmpeg")


def animate_risk(run, out: str | os.PathLike, every: int = 1, fmt: str = "gif", seconds_per_frame: float = 0.2,
                 log=None) -> tuple[Path, list[dt.date]]:
    """Write the animation of ``run`` to ``out`` (suffix set by the format); return (path, frame dates).

    ``fmt`` is ``"gif"`` or ``"mp4"``; MP4 needs ffmpeg (:func:`ffmpeg_executable`) and falls back to GIF with a
    message to ``log`` when there is none. The frame dates are the run's snapshot dates of :func:`frame_indices`.
    """
    if fmt not in ANIMATION_FORMATS:
        raise SpilloverError(f"animation format {fmt!r}; valid: {list(ANIMATION_FORMATS)}")
    ffmpeg = ffmpeg_executable() if fmt == "mp4" else None
    if fmt == "mp4" and ffmpeg is None:
        (log or print)("no ffmpeg found (pip install imageio-ffmpeg, or install ffmpeg): writing a GIF instead of MP4")
        fmt = "gif"
    out = Path(out).with_suffix(f".{fmt}")
    with opened(run) as data:
        indices = frame_indices(data, every)
        frames = _frames(data, indices)
        if fmt == "gif":
            _write_gif(out, frames, seconds_per_frame, comment=data.footer())
        else:
            _write_mp4(out, frames, seconds_per_frame, ffmpeg, comment=data.footer())
        return out, [data.dates[i] for i in indices]


def _frames(data: RunData, indices: list[int]):
    """Yield one RGB uint8 frame per index: the figure is built once and only the changing artists are updated."""
    apply_style()
    countries = countries_for(data)
    width, height = FRAME_INCHES
    fig = plt.figure(figsize=FRAME_INCHES, dpi=FRAME_DPI)
    ny, nx = data.grid.shape
    map_h = min(height - 1.75, (width - 0.2) * ny / nx)
    map_w = map_h * nx / ny
    ax = fig.add_axes([(1 - map_w / width) / 2, 1.15 / height, map_w / width, map_h / height])
    image = draw_risk(ax, data, data.snapshot(indices[0]), countries, focus_labels=True, text_scale=0.9)
    title = fig.text(0.02, 1 - 0.12 / height, "", fontsize=15, fontweight="bold", va="top")
    fig.text(0.02, 1 - 0.42 / height, f"Insurgency risk, {scenario_title(data)}", fontsize=9, va="top")
    cax = fig.add_axes([0.06, 0.72 / height, 0.4, 0.1 / height])
    bar = fig.colorbar(image, cax=cax, orientation="horizontal")
    bar.set_label(RISK_LABEL, fontsize=7, labelpad=1)
    bar.ax.tick_params(labelsize=7)
    # a timeline: the run's span, the withdrawal and how far the animation has got
    tax = fig.add_axes([0.54, 0.72 / height, 0.42, 0.1 / height])
    start, end = pd.Timestamp(data.dates[0]), pd.Timestamp(data.dates[-1])
    x0, x1 = mdates.date2num(start), mdates.date2num(end)  # days
    tax.set_xlim(x0, x1)
    tax.set_ylim(0, 1)
    tax.barh(0.5, x1 - x0, left=x0, height=1, color="#eeeeee", edgecolor="#888888", lw=0.5)
    progress = tax.barh(0.5, 0.0, left=x0, height=1, color="#555555")[0]
    withdrawal = pd.Timestamp(data.withdrawal_date())
    if start < withdrawal < end:
        tax.axvline(withdrawal, color="#c0392b", lw=1.5)
        tax.text(withdrawal, 1.25, "withdrawal", color="#c0392b", fontsize=7, ha="center", va="bottom")
    tax.set_yticks([])
    years = max(1, int(round((end - start).days / 365.25 / 6)))
    tax.xaxis.set_major_locator(mdates.YearLocator(base=years))
    tax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    tax.tick_params(axis="x", labelsize=7, length=2, pad=1)
    for side in ("top", "right", "left"):
        tax.spines[side].set_visible(False)
    fig.text(0.01, 0.01, f"{CAVEAT}\n{data.footer()}", linespacing=1.4, **{**FOOTER_STYLE, "fontsize": 5.5})
    try:
        for index in indices:
            if index != indices[0]:
                image.set_data(display_field(data.snapshot(index), data.grid)[0])
            when = data.dates[index]
            title.set_text(when.isoformat())
            progress.set_width(mdates.date2num(pd.Timestamp(when)) - x0)
            fig.canvas.draw()
            yield np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    finally:
        plt.close(fig)


def gif_palette(first_frame: np.ndarray, risk_levels: int = 160):
    """A shared 256-colour palette: ``risk_levels`` colours of the risk colour map (smooth gradients, no banding)
    and the rest from the first frame (background, borders, text)."""
    from matplotlib import colormaps
    from PIL import Image

    ramp = (colormaps[RISK_CMAP](np.linspace(0, 1, risk_levels))[:, :3] * 255).round().astype(np.uint8)
    rest = 256 - risk_levels
    other = Image.fromarray(first_frame).quantize(colors=rest, method=Image.Quantize.MEDIANCUT,
                                                  dither=Image.Dither.NONE)
    colours = np.concatenate([ramp, np.asarray(other.getpalette()[: 3 * rest], dtype=np.uint8).reshape(-1, 3)])
    palette = Image.new("P", (1, 1))
    palette.putpalette(colours.ravel().tolist())
    return palette


def _write_gif(out: Path, frames, seconds_per_frame: float, comment: str = "") -> None:
    """Quantize every frame to one shared palette (:func:`gif_palette`) and write an endlessly looping GIF (only
    the changed part of each frame is stored), the last frame held longer."""
    from PIL import Image

    images = []
    palette = None
    for rgb in frames:
        if palette is None:
            palette = gif_palette(rgb)
        images.append(Image.fromarray(rgb).quantize(palette=palette, dither=Image.Dither.NONE))
    ms = int(round(seconds_per_frame * 1000))
    durations = [ms] * (len(images) - 1) + [max(ms * 8, 1500)]
    with atomic_path(out) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0,
                       optimize=True, disposal=1, comment=comment.encode("utf-8")[:255])


def _write_mp4(out: Path, frames, seconds_per_frame: float, ffmpeg: str, comment: str = "") -> None:
    """Pipe raw RGB frames into ffmpeg (H.264, yuv420p, even frame size); the last frame is held ~1.5 s."""
    frames = iter(frames)
    first = next(frames)
    h, w = first.shape[0] // 2 * 2, first.shape[1] // 2 * 2
    fps = 1.0 / seconds_per_frame
    with atomic_path(out) as tmp:
        cmd = [ffmpeg, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
               "-r", f"{fps:g}", "-i", "-", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
               "-metadata", f"comment={comment}", "-f", "mp4", str(tmp)]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            last = first
            proc.stdin.write(np.ascontiguousarray(first[:h, :w]).tobytes())
            for rgb in frames:
                proc.stdin.write(np.ascontiguousarray(rgb[:h, :w]).tobytes())
                last = rgb
            for _ in range(max(0, int(round(1.5 * fps)) - 1)):
                proc.stdin.write(np.ascontiguousarray(last[:h, :w]).tobytes())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        err = proc.stderr.read().decode(errors="replace")
        if proc.wait() != 0:
            raise SpilloverError(f"ffmpeg ({ffmpeg}) failed writing {out}: {err.strip()[-500:]}")
