"""What a report reader needs from the figures (issue 13.9): the caveat on every risk figure, labelled grey lines,
no crossing drawn for a state given at the start, month-precision exits drawn as their month, graticule labels
outside the frame, nothing clipped at the grid's edge; and the figure commands' listings and folder guard."""
from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import sim.plotting.maps
import sim.plotting.series
from sim.cli import main
from sim.plotting.basemap import MARGIN
from sim.plotting.style import CAVEAT
from tests.test_figures import runs  # noqa: F401  (the session's two small runs)


@pytest.fixture
def captured(monkeypatch):
    """Keep the figures instead of saving them: {name: Figure}."""
    figures = {}

    def keep(fig, data, out, formats, colour_maps=()):
        figures[str(out)] = fig
        return []

    monkeypatch.setattr(sim.plotting.series, "save", keep)
    monkeypatch.setattr(sim.plotting.maps, "save", keep)
    yield figures
    for fig in figures.values():
        plt.close(fig)


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(match=lambda a: hasattr(a, "get_text"))]


def test_series_caveat_labels_and_no_crossing_at_the_start(runs, captured, tmp_path):  # noqa: F811
    from sim.plotting.maps import RunData

    sim.plotting.series.plot_country_series(runs["withdrawal"], tmp_path / "s.png")
    fig = next(iter(captured.values()))
    texts = " ".join(_texts(fig))
    assert CAVEAT in texts
    with RunData(runs["withdrawal"]) as data:
        start = pd.Timestamp(data.dates[0])
        crossings = data.crossings.set_index("country")
        assert crossings.loc["MLI", "first_crossing"] == start.date().isoformat()  # Mali starts over it
    for code in ("DZA", "MRT", "TCD"):  # every grey line is named
        assert code in texts
    assert "Mali: ≥ 10% at risk from the start (no crossing)" in texts
    area = fig.axes[1]
    markers = [line for line in area.get_lines() if line.get_marker() == "o"]
    for line in markers:  # crossing markers only after the start
        assert all(pd.Timestamp(plt.matplotlib.dates.num2date(x)).tz_localize(None) > start
                   for x in np.atleast_1d(line.get_xdata(orig=False)))


def test_month_precision_exits_are_drawn_as_their_month(runs, captured, tmp_path, monkeypatch):  # noqa: F811
    from sim.plotting.maps import RunData

    real = RunData.contingents.func

    def monthly(self):
        frame = real(self)
        return frame.assign(until_precision=["month"] + ["day"] * (len(frame) - 1))

    monkeypatch.setattr(RunData, "contingents", property(monthly))
    sim.plotting.series.plot_country_series(runs["withdrawal"], tmp_path / "s.png")
    fig = next(iter(captured.values()))
    labels = [t.get_text() for t in fig.axes[2].get_yticklabels()]
    assert any("leaves in " in label and "(month known; model: " in label for label in labels), labels
    hatched = [p for p in fig.axes[2].patches if p.get_hatch()]
    assert len(hatched) == 1
    width_days = hatched[0].get_width()
    assert 28 <= width_days <= 31  # the whole month


def test_maps_have_graticule_labels_outside_and_a_margin(runs, captured, tmp_path):  # noqa: F811
    from sim.plotting.maps import RunData

    sim.plotting.maps.plot_risk_maps(runs["withdrawal"], tmp_path / "m.png")
    fig = next(iter(captured.values()))
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.images]
    with RunData(runs["withdrawal"]) as data:
        xmin, ymin, xmax, ymax = data.grid.bounds
    for ax in panels:
        x0, x1 = ax.get_xlim()
        assert x0 < xmin - 0.5 * MARGIN * (xmax - xmin) and x1 > xmax + 0.5 * MARGIN * (xmax - xmin)
        assert not [t for t in ax.texts if "°" in t.get_text()]  # no degree labels drawn inside the frame
    labelled = [ax for ax in panels if any("°" in t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels())]
    assert labelled and len(labelled) <= len(panels)
    assert CAVEAT in " ".join(_texts(fig))


def test_figures_list_what_they_wrote_and_refuse_to_overwrite(runs, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "f"
    assert main(["figures", str(runs["stay"]), "--out", str(out), "--animation", "none", "--json", "-q"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert {row["file"].split("/")[-1] for row in listing} >= {"risk_maps.png", "country_series.png"}
    assert all(row["bytes"] > 0 for row in listing)
    manifest = json.loads((out / "figures.json").read_text())
    assert manifest["kind"] == "figures" and "risk_maps.png" in manifest["outputs"]
    assert main(["figures", str(runs["stay"]), "--out", str(out), "--animation", "none", "-q"]) == 2
    assert "risk_maps.png is a previous output; pass --force" in capsys.readouterr().err
    (out / "notes.txt").write_text("mine")
    assert main(["figures", str(runs["stay"]), "--out", str(out), "--animation", "none", "-q", "--force"]) == 0
    assert (out / "notes.txt").read_text() == "mine"
    user = tmp_path / "mine"
    user.mkdir()
    (user / "risk_maps.png").write_bytes(b"my own figure")
    assert main(["compare", str(runs["stay"]), str(runs["withdrawal"]), "--out", str(user), "-q"]) == 2
    assert (user / "risk_maps.png").read_bytes() == b"my own figure"
    assert sorted(p.name for p in user.iterdir()) == ["risk_maps.png"]
