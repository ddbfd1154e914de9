"""Hostile input and faults through the real command line: one line, the right exit code, no traceback, no user
file changed, no partial or mixed output left.

Every case runs ``sim.cli.main`` in-process on a fresh folder (signals and kills: tests/test_signals.py). The base
scenario is a 100 km grid of Mali, Burkina Faso and Niger over one year without documents (fast); each case breaks
one thing. Exit codes: 2 bad input, 1 the environment (disk, permissions), 130 interrupted.
"""
from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest
import tomli_w

from sim.cli import main
from sim.scenario import Scenario

BASE = {"grid.cell_km": 100.0, "grid.countries": ["MLI", "BFA", "NER"], "scenario.start": "2012-01-01",
        "scenario.end": "2013-01-01", "scenario.output_every_days": 60, "documents.seeds": "",
        "initial.places": ["northern Mali"], "initial.from_documents": False}
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def toml(**dotted) -> str:
    """The base scenario with ``section.key`` (or ``section.table.entry``) set to anything, valid or not."""
    data = Scenario().replace(**BASE).to_dict()
    for key, value in dotted.items():
        parts = key.split(".")
        node = data
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(parts[-1], None)
        else:
            node[parts[-1]] = value
    return tomli_w.dumps(data)


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# (id, files to create, argv, exit code, fragments of the one message line)
# "{d}" in argv and file names is the case's folder; OUT = "{d}/out" must not exist afterwards (or stay as it was).
S = "{d}/s.toml"
RUN = ["run", S, "--out", "{d}/out", "-q"]
CASES = [
    # ---------------------------------------------------------------------------------- scenario: structure
    ("unknown-table", {"s.toml": toml(**{"growht.x": 1})}, RUN, 2, ["unknown table", "growht"]),
    ("unknown-key", {"s.toml": toml(**{"growth.base_rate": 1.0})}, RUN, 2, ["unknown key", "base_rate_per_year"]),
    ("section-not-table", {"s.toml": "growth = 5\n"}, RUN, 2, ["[growth] must be a table"]),
    ("toml-syntax", {"s.toml": "[grid\ncell_km = 1"}, RUN, 2, ["not valid TOML"]),
    ("toml-binary", {"s.toml": b"\x89PNG\r\n\x1a\n\x00\x00"}, RUN, 2, ["not valid TOML"]),
    ("toml-latin1", {"s.toml": "[scenario]\nname = 'caf\xe9'\n".encode("latin-1")}, RUN, 2, ["not valid TOML"]),
    ("scenario-missing", {}, RUN, 2, ["s.toml does not exist"]),
    ("scenario-is-folder", {"s.toml/x": "x"}, RUN, 2, ["does not exist"]),
    ("extends-missing", {"s.toml": "extends = 'nope.toml'\n"}, RUN, 2, ["nope.toml", "does not exist"]),
    ("extends-loop", {"s.toml": "extends = 's.toml'\n"}, RUN, 2, ["loops back"]),
    ("extends-not-string", {"s.toml": "extends = 5\n"}, RUN, 2, ["extends = 5"]),
    ("bracket-text-survives", {"s.toml": "[initial]\nplaces = [['[km]']]\n" + toml(**{"initial": None})}, RUN, 2,
     ["initial.places"]),
    # ------------------------------------------------------------------------------------ scenario: values
    ("kappa-negative", {"s.toml": toml(**{"diffusion.kappa_km2_per_year": -1.0})}, RUN, 2,
     ["diffusion.kappa_km2_per_year", "≥ 0"]),
    ("kappa-1e12", {"s.toml": toml(**{"diffusion.kappa_km2_per_year": 1e12})}, RUN, 2,
     ["diffusion.kappa_km2_per_year", "≤ 1e+06"]),
    ("kappa-1e308", {"s.toml": toml(**{"diffusion.kappa_km2_per_year": 1e308})}, RUN, 2,
     ["diffusion.kappa_km2_per_year", "out of range"]),
    ("kappa-inf", {"s.toml": toml(**{"diffusion.kappa_km2_per_year": float("inf")})}, RUN, 2, ["finite number"]),
    ("kappa-nan", {"s.toml": toml(**{"diffusion.kappa_km2_per_year": float("nan")})}, RUN, 2, ["finite number"]),
    ("kappa-string", {"s.toml": toml(**{"diffusion.kappa_km2_per_year": "fast"})}, RUN, 2, ["valid: a number"]),
    ("kappa-bool", {"s.toml": toml(**{"diffusion.kappa_km2_per_year": True})}, RUN, 2, ["valid: a number"]),
    ("rate-huge", {"s.toml": toml(**{"growth.base_rate_per_year": 1e30})}, RUN, 2,
     ["growth.base_rate_per_year", "≤ 365"]),
    ("rate-negative", {"s.toml": toml(**{"growth.base_rate_per_year": -3.0})}, RUN, 2, ["≥ 0", "[1/year]"]),
    ("weight-huge", {"s.toml": toml(**{"growth.weight_coups": 1e40})}, RUN, 2, ["growth.weight_coups"]),
    ("suppression-huge", {"s.toml": toml(**{"suppression.troops_effect_per_year": 1e9})}, RUN, 2,
     ["suppression.troops_effect_per_year", "≤ 100"]),
    ("contingent-huge", {"s.toml": toml(**{"suppression.contingent_sizes.Barkhane": 1e40})}, RUN, 2,
     ["contingent_sizes.Barkhane", "≤ 1e6"]),
    ("contingent-negative", {"s.toml": toml(**{"suppression.contingent_sizes.Barkhane": -5})}, RUN, 2,
     ["contingent_sizes.Barkhane", "≥ 0"]),
    ("contingent-string", {"s.toml": toml(**{"suppression.contingent_sizes.Barkhane": "many"})}, RUN, 2,
     ["contingent_sizes.Barkhane"]),
    ("default-size-huge", {"s.toml": toml(**{"suppression.default_contingent_size": 1e12})}, RUN, 2,
     ["default_contingent_size"]),
    ("exit-shift-huge", {"s.toml": toml(**{"suppression.exit_shift_days": 10**9})}, RUN, 2, ["exit_shift_days"]),
    ("forces-stay-string", {"s.toml": toml(**{"suppression.forces_stay": "yes"})}, RUN, 2, ["true or false"]),
    ("permeability-bad-key", {"s.toml": toml(**{"diffusion.permeability.MLI-FRA": 0.5})}, RUN, 2,
     ["MLI-FRA", "two different modelled countries"]),
    ("permeability-negative", {"s.toml": toml(**{"diffusion.permeability.MLI-BFA": -1})}, RUN, 2, ["MLI-BFA"]),
    ("country-factor-bad", {"s.toml": toml(**{"growth.country_factor.FRA": 2})}, RUN, 2, ["not a modelled country"]),
    ("country-factor-huge", {"s.toml": toml(**{"growth.country_factor.MLI": 1e9})}, RUN, 2, ["[0, 100]"]),
    ("cell-zero", {"s.toml": toml(**{"grid.cell_km": 0.0})}, RUN, 2, ["grid.cell_km", "> 0"]),
    ("cell-negative", {"s.toml": toml(**{"grid.cell_km": -10.0})}, RUN, 2, ["grid.cell_km"]),
    ("cell-0.3km", {"s.toml": toml(**{"grid.cell_km": 0.3})}, RUN, 2, ["numerics.max_cells", "grid.cell_km ≥"]),
    ("cell-1e-9", {"s.toml": toml(**{"grid.cell_km": 1e-9})}, RUN, 2, ["numerics.max_cells"]),
    ("cell-huge", {"s.toml": toml(**{"grid.cell_km": 5000.0})}, RUN, 2, ["grid.cell_km", "≤ 1000"]),
    ("countries-unknown", {"s.toml": toml(**{"grid.countries": ["MLI", "XYZ"]})}, RUN, 2, ["XYZ", "ADM0_A3"]),
    ("countries-empty", {"s.toml": toml(**{"grid.countries": []})}, RUN, 2, ["grid.countries"]),
    ("countries-numbers", {"s.toml": toml(**{"grid.countries": [1, 2]})}, RUN, 2, ["grid.countries"]),
    ("crs-garbage", {"s.toml": toml(**{"grid.crs": "not a crs"})}, RUN, 2, ["grid.crs", "not a CRS"]),
    ("crs-epsg-unknown", {"s.toml": toml(**{"grid.crs": "EPSG:99999"})}, RUN, 2, ["grid.crs", "not a CRS"]),
    ("crs-geographic", {"s.toml": toml(**{"grid.crs": "EPSG:4326"})}, RUN, 2, ["grid.crs", "not projected"]),
    ("crs-feet", {"s.toml": toml(**{"grid.crs": "EPSG:2227"})}, RUN, 2, ["grid.crs", "metres"]),
    ("start-not-date", {"s.toml": toml(**{"scenario.start": "yesterday"})}, RUN, 2, ["scenario.start", "ISO"]),
    ("end-before-start", {"s.toml": toml(**{"scenario.end": "2011-01-01"})}, RUN, 2, ["after scenario.start"]),
    ("every-zero", {"s.toml": toml(**{"scenario.output_every_days": 0})}, RUN, 2, ["output_every_days", "≥ 1"]),
    ("every-fraction", {"s.toml": toml(**{"scenario.output_every_days": 1.5})}, RUN, 2, ["whole number"]),
    ("seed-negative", {"s.toml": toml(**{"scenario.seed": -1})}, RUN, 2, ["scenario.seed", "≥ 0"]),
    ("seed-too-big", {"s.toml": "[scenario]\nseed = 18446744073709551616\n"}, RUN, 2,
     ["scenario.seed = 18446744073709551616 is out of range", "≤ 9,223,372,036,854,775,807"]),
    ("risk-above-one", {"s.toml": toml(**{"initial.risk": 2.0})}, RUN, 2, ["initial.risk", "≤ 1"]),
    ("noise-negative", {"s.toml": toml(**{"initial.noise": -0.5})}, RUN, 2, ["initial.noise"]),
    ("places-empty-string", {"s.toml": toml(**{"initial.places": [""]})}, RUN, 2, ["initial.places"]),
    ("place-unknown", {"s.toml": toml(**{"initial.places": ["the moon"]})}, RUN, 2, ["the moon"]),
    ("threshold-huge", {"s.toml": toml(**{"output.threshold": 7.0})}, RUN, 2, ["output.threshold"]),
    ("fraction-zero", {"s.toml": toml(**{"output.crossing_area_fraction": 0.0})}, RUN, 2,
     ["crossing_area_fraction", "> 0"]),
    ("dtype-float16", {"s.toml": toml(**{"output.dtype": "float16"})}, RUN, 2, ["output.dtype", "float32"]),
    ("geotiff-not-date", {"s.toml": toml(**{"output.geotiff_days": ["soon"]})}, RUN, 2, ["not an ISO date"]),
    ("geotiff-after-end", {"s.toml": toml(**{"output.geotiff_days": ["2014-01-01"]})}, RUN, 2, ["outside the run"]),
    ("dt-above-one", {"s.toml": toml(**{"numerics.dt_days": 5.0})}, RUN, 2, ["numerics.dt_days", "≤ 1"]),
    ("dt-unstable", {"s.toml": toml(**{"numerics.dt_days": 1.0, "grid.cell_km": 2.0, "grid.countries": ["BFA"],
                                       "initial.places": ["Ouagadougou"]})}, RUN, 2, ["stability limit"]),
    ("substeps-budget", {"s.toml": toml(**{"diffusion.kappa_km2_per_year": 1e6, "grid.cell_km": 25.0,
                                           "numerics.max_substeps_per_day": 5})}, RUN, 2,
     ["needs 20 sub-steps per day", "numerics.max_substeps_per_day = 5"]),
    ("substeps-extreme-suppression", {"s.toml": toml(**{"suppression.troops_effect_per_year": 100.0,
                                                        "suppression.default_contingent_size": 1e6,
                                                        "numerics.max_substeps_per_day": 10,
                                                        "documents.seeds": str(SEEDS)})}, RUN, 2,
     ["numerics.max_substeps_per_day = 10", "max sigma"]),
    ("memory-budget", {"s.toml": toml(**{"numerics.max_memory_gb": 0.01})}, RUN, 2, ["numerics.max_memory_gb"]),
    ("max-cells-zero", {"s.toml": toml(**{"numerics.max_cells": 0})}, RUN, 2, ["numerics.max_cells", "≥ 1"]),
    ("seeds-missing", {"s.toml": toml(**{"documents.seeds": "nowhere"})}, RUN, 2, ["documents.seeds", "nowhere"]),
    # ----------------------------------------------------------------------------------------- initial.state
    ("state-missing", {"s.toml": toml(**{"initial.state": "nope.nc"})}, RUN, 2, ["initial.state", "does not exist"]),
    ("state-text", {"s.toml": toml(**{"initial.state": "x.nc"}), "x.nc": "hello"}, RUN, 2,
     ["initial.state", "not a NetCDF file"]),
    ("state-csv", {"s.toml": toml(**{"initial.state": "x.csv"}), "x.csv": "a,b\n1,2\n"}, RUN, 2,
     ["not a NetCDF file"]),
    ("state-folder", {"s.toml": toml(**{"initial.state": "f"}), "f/readme": "x"}, RUN, 2,
     ["is a folder without risk.nc"]),
    ("state-empty-file", {"s.toml": toml(**{"initial.state": "x.nc"}), "x.nc": ""}, RUN, 2, ["not a NetCDF file"]),
    # the NetCDF cases: files made by _netcdf() below
    ("state-no-risk", {"s.toml": toml(**{"initial.state": "x.nc"}), "x.nc": "nc:norisk"}, RUN, 2,
     ["has no variable 'risk'"]),
    ("state-wrong-grid", {"s.toml": toml(**{"initial.state": "x.nc"}), "x.nc": "nc:shape"}, RUN, 2,
     ["grid but this scenario's grid is"]),
    ("state-nan", {"s.toml": toml(**{"initial.state": "x.nc"}), "x.nc": "nc:nan"}, RUN, 2, ["not finite"]),
    ("state-inf", {"s.toml": toml(**{"initial.state": "x.nc"}), "x.nc": "nc:inf"}, RUN, 2, ["not finite"]),
    ("state-five", {"s.toml": toml(**{"initial.state": "x.nc"}), "x.nc": "nc:5"}, RUN, 2, ["outside [0, 1]"]),
    ("state-negative", {"s.toml": toml(**{"initial.state": "x.nc"}), "x.nc": "nc:-3"}, RUN, 2, ["outside [0, 1]"]),
    ("state-no-time", {"s.toml": toml(**{"initial.state": "x.nc"}), "x.nc": "nc:empty"}, RUN, 2,
     ["at least one snapshot"]),
    ("state-other-mask", {"s.toml": toml(**{"initial.state": "x.nc"}), "x.nc": "nc:mask"}, RUN, 2,
     ["modelled cells differ"]),
    # ------------------------------------------------------------------------------------ output folders
    ("out-is-file", {"s.toml": toml(), "out": "a file"}, RUN, 2, ["is a file"]),
    ("out-under-file", {"s.toml": toml(), "f": "a file"}, ["run", S, "--out", "{d}/f/out", "-q"], 2,
     ["which is a file"]),
    ("out-unrelated", {"s.toml": toml(), "out/risk.nc": "mine", "out/notes.txt": "mine"}, RUN, 2,
     ["not an output of spillover", "notes.txt, risk.nc"]),
    ("out-hidden-file", {"s.toml": toml(), "out/.secret": "mine"}, RUN, 2, ["not an output of spillover"]),
    ("out-figures-folder", {"s.toml": toml(), "out/figures.json": '{"tool": "sahel-spillover", "kind": "figures", '
                                                                  '"outputs": []}'},
     ["run", S, "--out", "{d}/out", "-q", "--force"], 2, ["holds a figures output"]),
    ("figures-into-run-folder", {"r/run.json": '{"tool": "sahel-spillover", "kind": "run", "outputs": []}'},
     ["figures", "{d}/r", "--out", "{d}/r"], 2, ["has no risk.nc"]),
    # ------------------------------------------------------------------------------------------ bad CLI values
    ("format-bad", {"s.toml": toml()}, ["run", S, "--out", "{d}/out", "--format", "xml"], 2, ["--format"]),
    ("json-and-csv", {"s.toml": toml()}, ["run", S, "--out", "{d}/out", "--json", "--csv"], 2, ["disagree"]),
    ("geotiff-flag-bad", {"s.toml": toml()}, ["run", S, "--out", "{d}/out", "--geotiff", "2012-02-30"], 2,
     ["not an ISO date"]),
    ("geotiff-flag-outside", {"s.toml": toml()}, ["run", S, "--out", "{d}/out", "--geotiff", "2030-01-01"], 2,
     ["outside the run"]),
    ("run-no-out", {"s.toml": toml()}, ["run", S], 2, ["--out"]),
    ("unknown-option", {"s.toml": toml()}, ["run", S, "--out", "{d}/out", "--fast"], 2, ["--fast"]),
    ("unknown-command", {}, ["fly"], 2, ["fly"]),
    ("grid-cell-text", {}, ["grid", "--cell-km", "abc"], 2, ["--cell-km"]),
    ("grid-cell-nan", {}, ["grid", "--cell-km", "nan"], 2, ["cell_km=nan"]),
    ("grid-countries-bad", {}, ["grid", "--countries", "MLI,XXX"], 2, ["XXX"]),
    ("grid-format-bad", {}, ["grid", "--format", "yaml"], 2, ["--format"]),
    ("map-formats-bad", {}, ["map", "--out", "{d}/out/r.png", "--formats", "bmp"], 2, ["--formats", "png"]),
    ("map-overwrite", {"r.png": "mine"}, ["map", "--out", "{d}/r.png", "--cell-km", "100"], 2,
     ["exists", "--force"]),
    ("population-overwrite", {"p.png": "mine"}, ["population", "--out", "{d}/p.png", "--cell-km", "100"], 2,
     ["exists", "--force"]),
    ("figures-no-run", {}, ["figures", "{d}/nope", "--out", "{d}/out"], 2, ["does not exist"]),
    ("figures-not-a-run", {"r/x.txt": "x"}, ["figures", "{d}/r", "--out", "{d}/out"], 2, ["not a complete run"]),
    ("figures-bad-manifest", {"r/risk.nc": "x", "r/countries.csv": "x", "r/run.json": "{NaN"},
     ["figures", "{d}/r", "--out", "{d}/out"], 2, ["not valid JSON"]),
    ("figures-corrupt-netcdf", {"r/risk.nc": "x", "r/countries.csv": "x",
                                "r/run.json": '{"outputs": [], "sahel_spillover_version": "0"}'},
     ["figures", "{d}/r", "--out", "{d}/out"], 2, ["cannot open risk.nc"]),
    ("figures-animation-bad", {}, ["figures", "{d}/r", "--out", "{d}/out", "--animation", "avi"], 2,
     ["--animation"]),
    ("figures-every-zero", {}, ["figures", "{d}/r", "--every", "0"], 2, ["--every"]),
    ("compare-missing", {}, ["compare", "{d}/a", "{d}/b", "--out", "{d}/out"], 2, ["does not exist"]),
    ("extract-missing", {}, ["extract", "{d}/nope.txt"], 2, ["nope.txt"]),
    ("extract-published-bad", {}, ["extract", str(SEEDS), "--published", "2023-13-01"], 2, ["--published"]),
]


def _netcdf(path: Path, kind: str, tmp: Path) -> None:
    """A risk.nc broken in one way, from a real small run."""
    import netCDF4
    import numpy as np

    from sim import run

    source = tmp / "_source"
    if not source.exists():
        run(Scenario().replace(**BASE), source)
    data = (source / "risk.nc").read_bytes()
    path.write_bytes(data)
    with netCDF4.Dataset(path, "a") as ds:
        risk = ds["risk"]
        inside = np.asarray(ds["country_id"][:]) > 0
        if kind == "norisk":
            ds.renameVariable("risk", "hazard")
        elif kind in ("nan", "inf", "5", "-3"):
            last = np.asarray(risk[-1])
            last[inside] = {"nan": np.nan, "inf": np.inf, "5": 5.0, "-3": -3.0}[kind]
            risk[risk.shape[0] - 1] = last
        elif kind == "mask":
            cid = np.asarray(ds["country_id"][:])
            cid[0, 0] = 1
            ds["country_id"][:] = cid
    if kind == "shape":
        run(Scenario().replace(**{**BASE, "grid.cell_km": 200.0}), tmp / "_shape")
        path.write_bytes((tmp / "_shape" / "risk.nc").read_bytes())
        import shutil

        shutil.rmtree(tmp / "_shape")
    if kind == "empty":
        with netCDF4.Dataset(path, "w") as ds:
            ds.createDimension("time", None)
            ds.createDimension("y", 3)
            ds.createDimension("x", 3)
            ds.createVariable("risk", "f4", ("time", "y", "x"))


def _make(case_dir: Path, files: dict, tmp: Path) -> None:
    for name, content in files.items():
        path = case_dir / name.format(d=case_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str) and content.startswith("nc:"):
            _netcdf(path, content[3:], tmp)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def check_one_line(captured, code: int, rc: int, fragments) -> str:
    """The common assertions: exit code, one line on stderr, no traceback."""
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert rc == code, captured.err
    assert "Traceback" not in captured.err + captured.out
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("error: ") or code == 130, line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    return tmp_path_factory.mktemp("hostile_shared")


@pytest.mark.parametrize("name, files, argv, code, fragments", CASES, ids=[c[0] for c in CASES])
def test_hostile_input(name, files, argv, code, fragments, tmp_path, shared, capsys):
    _make(tmp_path, files, shared)
    before = _tree(tmp_path)
    out = tmp_path / "out"
    existed = out.exists()
    rc = main([a.format(d=tmp_path) for a in argv])
    check_one_line(capsys.readouterr(), code, rc, fragments)
    assert _tree(tmp_path) == before  # no user file changed, nothing written
    assert out.exists() == existed


# ------------------------------------------------------------------------------------------------- faults
def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "risk.nc")


FAULTS = [
    # (id, object path, attribute, replacement, fragments)
    ("netcdf-append-disk-full", "sim.netcdf:RiskNetCDF", "append",
     lambda self, *a: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device", str(self.path))),
     ["risk.nc", "no space left"]),
    ("netcdf-hdf-error", "sim.netcdf:RiskNetCDF", "append",
     lambda self, *a: (_ for _ in ()).throw(__import__("sim.netcdf").netcdf.write_error(
         RuntimeError("NetCDF: HDF error"), self.path)), ["risk.nc"]),
    ("netcdf-close-disk-full", "sim.netcdf:RiskNetCDF", "close",
     lambda self: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device", str(self.path))),
     ["no space left"]),
    ("manifest-disk-full", "sim.outdir:OutputFolder", "commit",
     lambda self, extra=None: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space", str(self.path / "run.json"))),
     ["run.json", "no space left"]),
    ("csv-permission", "sim.output:", "write_csv_rows",
     lambda path, rows: (_ for _ in ()).throw(PermissionError(errno.EACCES, "Permission denied", str(path))),
     ["countries.csv", "permission denied"]),
    ("geotiff-read-only", "sim.output:", "write_geotiff",
     lambda path, *a: (_ for _ in ()).throw(OSError(errno.EROFS, "Read-only file system", str(path))),
     ["risk_2012-06-01.tif", "read-only"]),
    ("out of memory", "sim.output:CountrySeries", "add", lambda self, *a, **k: (_ for _ in ()).throw(MemoryError()),
     ["out of memory"]),
    ("mkdir-permission", "pathlib:Path", "mkdir",
     lambda self, *a, **k: (_ for _ in ()).throw(PermissionError(errno.EACCES, "Permission denied", str(self))),
     ["out", "permission denied"]),
]


@pytest.mark.parametrize("name, target, attribute, replacement, fragments", FAULTS, ids=[f[0] for f in FAULTS])
def test_faults_while_writing(name, target, attribute, replacement, fragments, tmp_path, capsys, monkeypatch):
    import importlib

    module_name, _, cls = target.partition(":")
    owner = importlib.import_module(module_name)
    owner = getattr(owner, cls) if cls else owner
    (tmp_path / "s.toml").write_text(toml(**{"output.geotiff_days": ["2012-06-01"]}))
    (tmp_path / "keep.txt").write_text("mine")
    before = _tree(tmp_path)
    monkeypatch.setattr(owner, attribute, replacement)
    rc = main(["run", str(tmp_path / "s.toml"), "--out", str(tmp_path / "out"), "-q"])
    check_one_line(capsys.readouterr(), 1, rc, fragments)
    assert _tree(tmp_path) == before and not (tmp_path / "out").exists()  # partial outputs removed


def test_a_fault_in_a_forced_rerun_leaves_an_interrupted_folder_never_a_mixed_one(tmp_path, capsys, monkeypatch):
    import sim.netcdf
    from sim.output import check_run_dir

    (tmp_path / "s.toml").write_text(toml())
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "s.toml"), "--out", str(out), "-q"]) == 0
    (out / "notes.txt").write_text("mine")
    monkeypatch.setattr(sim.netcdf.RiskNetCDF, "close", _disk_full)
    assert main(["run", str(tmp_path / "s.toml"), "--out", str(out), "-q", "--force"]) == 1
    capsys.readouterr()
    # the old run went first, nothing mixed; the journal keeps the folder recognisable as an interrupted output
    assert sorted(p.name for p in out.iterdir()) == [".spillover-journal.json", "notes.txt"]
    with pytest.raises(Exception, match="not a complete run"):
        check_run_dir(out)
    monkeypatch.undo()
    assert main(["run", str(tmp_path / "s.toml"), "--out", str(out), "-q"]) == 0


def test_a_real_full_disk(tmp_path, capsys):
    """A 512 kB tmpfs in a private mount namespace (no root needed where user namespaces are allowed)."""
    import shutil
    import subprocess
    import sys

    if not shutil.which("unshare"):
        pytest.skip("no unshare")
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode:
        pytest.skip("user/mount namespaces are not available here")
    (tmp_path / "s.toml").write_text(toml(**{"grid.cell_km": 20.0, "scenario.end": "2016-01-01"}))
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    script = (f"mount -t tmpfs -o size=512k tmpfs {tiny} && {sys.executable} -m sim.cli run {tmp_path / 's.toml'} "
              f"--out {tiny}/out -q; rc=$?; ls -A {tiny}; exit $rc")
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "no space left" in lines[0], lines
    assert "Traceback" not in done.stderr
    assert done.stdout.split() == []  # nothing left on the full disk


def test_a_disk_that_fills_at_any_point_of_the_run(tmp_path):
    """Tmpfs sizes from 'full during the NetCDF' through 'full during the CSVs' to 'full at the manifest': every
    size either completes or fails with one line naming the file being written, exit 1, and no file left behind
    (no journal temporary, no half-written table), and never crashes the interpreter (exit 139 once did: HDF5
    handles closed on a full disk)."""
    import shutil
    import subprocess
    import sys

    if not shutil.which("unshare"):
        pytest.skip("no unshare")
    if subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode:
        pytest.skip("user/mount namespaces are not available here")
    (tmp_path / "s.toml").write_text(toml(**{"grid.cell_km": 20.0, "scenario.end": "2016-01-01"}))
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    sizes = range(500, 1000, 50)
    script = "; ".join(
        f"mount -t tmpfs -o size={k}k tmpfs {tiny} && {{ {sys.executable} -m sim.cli run {tmp_path / 's.toml'} "
        f"--out {tiny}/out -q >/dev/null 2>{tmp_path}/err{k}; echo \"$? $(ls -A {tiny}/out 2>/dev/null | "
        f"tr '\\n' ' ')\" > {tmp_path}/rc{k}; umount {tiny}; }}" for k in sizes)
    subprocess.run(["unshare", "-rm", "sh", "-c", script], check=True, capture_output=True, text=True)
    failed = 0
    for k in sizes:
        rc, *left = (tmp_path / f"rc{k}").read_text().split()
        err = (tmp_path / f"err{k}").read_text()
        assert rc in ("0", "1"), (k, rc, err)
        assert "Traceback" not in err, (k, err)
        if rc == "1":
            failed += 1
            lines = [line for line in err.splitlines() if line.strip()]
            assert len(lines) == 1 and lines[0].startswith(f"error: {tiny}/out/"), (k, lines)
            assert "no space left" in lines[0], (k, lines)
            assert left == [], (k, left)  # nothing partial: the folder is removed with everything in it
    assert failed, "no size was small enough to fill the disk: the test checks nothing"


def test_there_are_at_least_100_cases():
    assert len(CASES) + len(FAULTS) + 2 >= 100
