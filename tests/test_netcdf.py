"""risk.nc as analysts' tools read it: xarray + rioxarray, GDAL, the IOOS CF checker; strict JSON in run.json."""
from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
import xarray as xr
from pyproj import Transformer

from sim import Scenario, run
from sim.netcdf import ALBERS_NAME, flag_dtype
from sim.strict_json import loads_strict

BAMAKO = (-8.0029, 12.6392)  # lon, lat
SMALL = {"grid.cell_km": 100.0, "grid.countries": ["MLI", "BFA", "NER"], "scenario.start": "2012-01-01",
         "scenario.end": "2013-01-01", "scenario.output_every_days": 60, "documents.seeds": "",
         "initial.places": ["northern Mali"], "initial.from_documents": False}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("nc") / "run"
    run(Scenario().replace(**SMALL), out)
    return out


def _country_at(ds, lon: float, lat: float) -> str:
    x, y = Transformer.from_crs("EPSG:4326", ds.rio.crs, always_xy=True).transform(lon, lat)
    cell = ds["country_id"].sel(x=x, y=y, method="nearest")
    return ds["country_id"].attrs["flag_meanings"].split()[int(cell) - 1]


def test_xarray_with_defaults_gives_rioxarray_the_named_crs_and_finds_bamako_in_mali(run_dir):
    pytest.importorskip("rioxarray")
    with xr.open_dataset(run_dir / "risk.nc") as ds:
        assert ds.rio.crs is not None and ds["risk"].rio.crs == ds.rio.crs
        assert ds.rio.crs.to_dict()["proj"] == "aea"
        assert ALBERS_NAME in ds.rio.crs.to_wkt()
        assert ds.rio.transform().a == pytest.approx(100_000.0)
        assert {"lat", "lon", "spatial_ref"} <= set(ds.coords)
        assert _country_at(ds, *BAMAKO) == "MLI"
        x, y = Transformer.from_crs("EPSG:4326", ds.rio.crs, always_xy=True).transform(*BAMAKO)
        cell = ds.sel(x=x, y=y, method="nearest")
        assert float(cell["lon"]) == pytest.approx(BAMAKO[0], abs=1.0)  # 100 km cells: within a cell
        assert float(cell["lat"]) == pytest.approx(BAMAKO[1], abs=1.0)


def test_rioxarray_open_rasterio_reads_every_variable_georeferenced(run_dir):
    rioxarray = pytest.importorskip("rioxarray")
    opened = rioxarray.open_rasterio(run_dir / "risk.nc")
    try:
        datasets = opened if isinstance(opened, list) else [opened]
        for ds in datasets:
            for name in ds.data_vars:
                assert ds[name].rio.crs is not None, name
        risk = rioxarray.open_rasterio(run_dir / "risk.nc", variable="risk")["risk"]
        assert risk.rio.crs is not None and risk.sizes["time"] == 8  # days 0, 60, ..., 360 and the end, 366
    finally:
        for ds in datasets:
            ds.close()


def test_gdal_reads_it_georeferenced_and_finds_bamako_in_mali(run_dir):
    with rasterio.open(f'NETCDF:"{run_dir / "risk.nc"}":country_id') as src:
        assert src.crs is not None and "Albers" in src.crs.to_wkt()
        x, y = Transformer.from_crs("EPSG:4326", src.crs, always_xy=True).transform(*BAMAKO)
        row, col = src.index(x, y)
        value = int(src.read(1)[row, col])
        codes = src.tags(1).get("flag_meanings", src.tags().get("country_id#flag_meanings", "")).split()
    assert codes[value - 1] == "MLI"
    with rasterio.open(f'NETCDF:"{run_dir / "risk.nc"}":risk') as src:
        assert src.count == 8 and src.transform.a == pytest.approx(100_000.0)


def test_cf_checker_finds_no_error(run_dir):
    """The IOOS compliance checker (cf:1.8) as CI runs it: no errors and no warnings (it works offline)."""
    checker = pytest.importorskip("compliance_checker.runner")
    from compliance_checker.runner import CheckSuite, ComplianceChecker

    CheckSuite.load_all_available_checkers()
    report = run_dir.parent / "cf.json"
    passed, errors = ComplianceChecker.run_checker(str(run_dir / "risk.nc"), ["cf:1.8"], 0, "normal",
                                                   output_filename=str(report), output_format="json")
    assert not errors
    results = json.loads(report.read_text())["cf:1.8"]
    problems = [m for group in ("high_priorities", "medium_priorities") for item in results.get(group, [])
                for m in item.get("msgs", [])]
    assert problems == [], problems
    assert passed and checker


def test_types_follow_cf_1_8(run_dir):
    with xr.open_dataset(run_dir / "risk.nc", mask_and_scale=False) as ds:
        assert ds["country_id"].dtype == np.int8 and ds["country_id"].attrs["flag_values"].dtype == np.int8
        assert type(ds["risk"].attrs["valid_min"]) is np.float32 and ds["risk"].attrs["valid_max"] == 1
    assert flag_dtype(127) == np.int8 and flag_dtype(128) == np.int16


def test_run_json_and_attributes_are_strict_json(run_dir):
    text = (run_dir / "run.json").read_text()
    manifest = loads_strict(text)  # would raise on a bare NaN
    assert "NaN" not in text and manifest["tool"] == "sahel-spillover" and manifest["kind"] == "run"
    with pytest.raises(ValueError):
        loads_strict('{"x": NaN}')
    with xr.open_dataset(run_dir / "risk.nc") as ds:
        for key, value in ds.attrs.items():
            assert not (isinstance(value, str) and value.startswith(("{'", "[{'"))), f"{key} is a Python repr"
        assert loads_strict(ds.attrs["provenance"])["scenario"] == manifest["scenario"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pre_filtered_chunks_decode_through_hdf5s_own_filters(tmp_path, dtype):
    """risk.nc's snapshots are written as pre-shuffled, pre-deflated chunks (sim.netcdf.encoded_chunks); netCDF4
    must decode them with HDF5's shuffle + deflate filters to the same values, edge chunks (padded) included."""
    import h5py
    import netCDF4

    from sim.netcdf import encoded_chunks

    rng = np.random.default_rng(3)
    values = rng.random((6, 5)).astype(dtype)
    values[0, 0] = np.nan  # NaN, and the fill of the padded edges, survive too
    path = tmp_path / "chunks.nc"
    with netCDF4.Dataset(path, "w") as ds:
        ds.createDimension("time", None)
        ds.createDimension("y", 6)
        ds.createDimension("x", 5)
        ds.createVariable("risk", np.dtype(dtype).str[1:], ("time", "y", "x"), zlib=True, complevel=1, shuffle=True,
                          chunksizes=(1, 4, 4), fill_value=np.nan)
    chunks = list(encoded_chunks(values, (4, 4)))
    assert [c for c, _ in chunks] == [(0, 0), (0, 4), (4, 0), (4, 4)]
    with h5py.File(path, "r+") as f:
        f["risk"].resize(1, axis=0)
        for (iy, ix), payload in chunks:
            f["risk"].id.write_direct_chunk((0, iy, ix), payload)
    with netCDF4.Dataset(path) as ds:
        back = ds["risk"][0].filled(np.nan)
    np.testing.assert_array_equal(back, values)
