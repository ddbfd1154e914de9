"""The geography commands of the ``spillover`` CLI: grid, map, shapes build; bad input exits 2 with `error:`."""
from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from PIL import Image

from geo.admin1 import load_admin1
from geo.shapes import load_countries
from sim.cli import main


def test_grid_prints_cell_counts(capsys, geodesic_areas):
    assert main(["grid", "--cell-km", "50", "--countries", "MLI,BFA,NER"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"grid \d+ x \d+ cells of 50 km \([\d,]+ land cells\)", out)
    rows = {m[0]: (int(m[1].replace(",", "")), int(m[2].replace(",", "")))
            for m in re.findall(r"^\s+([A-Z]{3})\s+([\d,]+) cells\s+([\d,]+) km²$", out, flags=re.M)}
    assert list(rows) == ["MLI", "BFA", "NER"]
    for code, (cells, km2) in rows.items():
        assert km2 == cells * 2500
        assert km2 == pytest.approx(geodesic_areas[code], rel=0.05)  # coarse cells, still the right country
    land = int(re.search(r"\(([\d,]+) land cells\)", out).group(1).replace(",", ""))
    assert land == sum(c for c, _ in rows.values())


@pytest.mark.parametrize("argv, expected", [
    (["grid", "--cell-km", "0"], "cell_km=0.0"),
    (["grid", "--cell-km", "-3"], "positive number of km"),
    (["grid", "--cell-km", "nan"], "cell_km=nan"),
    (["grid", "--cell-km", "0.001"], "use cells of at least"),
    (["grid", "--countries", "MLI,XXX"], "unknown country code(s) ['XXX']"),
    (["grid", "--countries", "MLI,MLI"], "given more than once"),
    (["map", "--out", "unused.png", "--cell-km", "-1"], "positive number of km"),
])
def test_bad_input_exits_2_with_an_error_line(capsys, argv, expected):
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = " ".join(captured.err.split())  # rich wraps long lines
    assert err.startswith("error: ") and expected in err
    assert "Traceback" not in captured.err + captured.out


def test_usage_error_exits_2(capsys):
    assert main(["grid", "--cell-km", "abc"]) == 2
    err = capsys.readouterr().err
    assert "--cell-km" in err and "Invalid value" in err and "Traceback" not in err


def test_map_writes_a_real_png(tmp_path, capsys):
    out = tmp_path / "r.png"
    assert main(["map", "--out", str(out), "--cell-km", "50"]) == 0
    assert out.exists() and out.stat().st_size > 10_000
    assert str(out) in " ".join(capsys.readouterr().err.split())
    with Image.open(out) as img:
        assert img.format == "PNG" and img.width > 400 and img.height > 300
        pixels = np.asarray(img.convert("RGB")).reshape(-1, 3)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    assert len(colours) > 16  # not blank: fills, borders, labels, anti-aliasing
    assert counts.max() < 0.9 * len(pixels)  # no single colour covers the figure


def test_shapes_build_writes_both_files(tmp_path, capsys):
    out, names, admin1 = tmp_path / "s.gpkg", tmp_path / "n.csv", tmp_path / "a.gpkg"
    args = ["shapes", "build", "--out", str(out), "--names-out", str(names), "--admin1-out", str(admin1)]
    assert main(args + ["--no-admin1"]) == 0
    assert len(load_countries(out)) == 18 and names.stat().st_size > 10_000 and not admin1.exists()
    assert "(18 countries)" in " ".join(capsys.readouterr().err.split())


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("npm") is None, reason="rebuilding the admin-1 units needs npm")
def test_shapes_build_writes_admin1(tmp_path, capsys):
    out, names, admin1, places = (tmp_path / n for n in ("s.gpkg", "n.csv", "a.gpkg", "p.csv"))
    assert main(["shapes", "build", "--out", str(out), "--names-out", str(names), "--admin1-out", str(admin1),
                 "--places-out", str(places)]) == 0
    assert len(load_admin1(admin1)) == 343
    err = " ".join(capsys.readouterr().err.split())
    assert "(343 admin-1 units)" in err and "GeoNames places)" in err and places.stat().st_size > 100_000
