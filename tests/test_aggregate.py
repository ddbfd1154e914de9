"""Aggregating events to cells, admin-1 units and countries: sums conserved across levels, zeros completed,
the precision rule, admin-1 point in polygon (own country, snapping), month periods."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.errors import SpilloverError
from ged_synthetic import basic_rows, event, write_ged
from sim.evidence.aggregate import aggregate, cell_unit_index, period_range
from sim.evidence.observed import read_ged


@pytest.fixture
def events(tmp_path):
    return read_ged(write_ged(tmp_path / "ged.csv", basic_rows()))


def test_country_year_sums_and_zeros(events):
    counts = aggregate(events, by="country", years=(2016, 2019))
    table = counts.array().to_pandas()
    assert counts.units == ("BFA", "CIV", "MLI", "NER") and counts.periods == (2016, 2017, 2018, 2019)
    assert table.loc[2017, "MLI"] == 10 and table.loc[2018, "MLI"] == 5 + 7 + 2 and table.loc[2019, "MLI"] == 0
    assert table.loc[2019, "NER"] == 24 and table.loc[2019, "BFA"] == 30 and table.loc[2017, "CIV"] == 1
    assert table.loc[2016].sum() == 0  # a year with no event is zeros, not missing
    assert len(counts.frame) == 4 * 4
    assert counts.array("events").to_pandas().loc[2019, "MLI"] == 1  # the event with 0 deaths is still an event
    assert counts.array("deaths_high").to_pandas().loc[2019, "NER"] == 40 + 4
    assert counts.total() == sum(r["best"] for r in basic_rows())


def test_requested_units_get_zeros_and_exclude_others(events):
    counts = aggregate(events, by="country", units=["MLI", "SEN"], years=(2018, 2019))
    table = counts.array().to_pandas()
    assert list(table.columns) == ["MLI", "SEN"] and table["SEN"].sum() == 0
    assert counts.dropped["events"] == 3  # NER, NER, BFA of 2018-2019 are not in the units asked for


def test_months_follow_date_start(events):
    counts = aggregate(events, by="country", period="month", years=(2018, 2018))
    table = counts.array().to_pandas()
    assert counts.periods == period_range(2018, 2018, "month") and len(counts.periods) == 12
    assert table.loc["2018-07", "MLI"] == 7 + 2  # the event of 30 July to 2 August counts in July
    assert table.loc["2018-08", "MLI"] == 0 and table.loc["2018-03", "MLI"] == 5


def test_precision_rule_per_level(events, g5_grid_10km):
    country = aggregate(events, by="country").total()
    cells = aggregate(events, by="cell", grid=g5_grid_10km)
    assert country == sum(r["best"] for r in basic_rows())
    # cells keep where_prec <= 3 by default: not Tillabéri (4), Diffa (5), Abidjan (6)
    assert cells.total() == country - 20 - 4 - 1 and cells.precision == 3
    assert aggregate(events, by="cell", grid=g5_grid_10km, max_precision=4).total() == country - 4 - 1
    assert aggregate(events, by="country", max_precision=2).total() == 10 + 5 + 7 + 30 + 0


def test_cells_conserve_country_totals_for_in_grid_events(tmp_path, g5_grid_10km):
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(-5, 4, 300), rng.uniform(11, 17, 300)  # Mali, Burkina Faso, Niger and beyond
    rows = [event(i, "mopti", f"{2015 + i % 5}-0{1 + i % 9}-11", best=int(rng.integers(0, 50)),
                  where_prec=int(rng.integers(1, 4)), lon=float(x), lat=float(y)) for i, (x, y) in
            enumerate(zip(lon, lat))]
    events = read_ged(write_ged(tmp_path / "ged.csv", rows))
    cells = aggregate(events, by="cell", grid=g5_grid_10km, max_precision=3)
    country = aggregate(events, by="country", max_precision=3)
    assert cells.dropped["events"] == 0
    assert cells.total() == country.total() == sum(r["best"] for r in rows)
    dense = cells.cell_array(g5_grid_10km)
    np.testing.assert_array_equal(dense.sum(("y", "x")).values, country.array().sum("unit").values)
    row, col = g5_grid_10km.cell_of(lon[0], lat[0])
    assert dense.sel(period=2015).values[row, col] >= rows[0]["best"]


def test_events_off_the_grid_are_dropped_and_counted(events, countries):
    from geo.grid import build_grid

    grid = build_grid(countries, cell_km=50, codes=["NER"])  # Mali's events lie outside it (mostly)
    cells = aggregate(events, by="cell", grid=grid, max_precision=4, mask_only=True)
    assert cells.total() == 20  # only Tillabéri (where_prec 4) lies in Niger
    assert cells.dropped["deaths_best"] == 10 + 5 + 7 + 2 + 30 + 0


def _squares() -> gpd.GeoDataFrame:
    """Country AAA = two unit squares side by side, country BBB = the square to their east."""
    boxes = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(2, 0, 3, 1)]
    return gpd.GeoDataFrame({"adm1_code": ["AAA-1", "AAA-2", "BBB-1"], "adm0_a3": ["AAA", "AAA", "BBB"]},
                            geometry=boxes, crs="EPSG:4326")


def _frame(points):
    import pandas as pd

    return pd.DataFrame({"longitude": [p[0] for p in points], "latitude": [p[1] for p in points],
                         "adm0_a3": [p[2] for p in points], "where_prec": 1, "year": 2019,
                         "best": [p[3] for p in points], "low": 0, "high": 0,
                         "date_start": pd.Timestamp("2019-01-01")})


def test_admin1_point_in_polygon_within_the_events_country():
    frame = _frame([
        (0.5, 0.5, "AAA", 1),     # inside AAA-1
        (1.5, 0.5, "AAA", 2),     # inside AAA-2
        (2.5, 0.5, "BBB", 4),     # inside BBB-1
        (2.1, 0.5, "AAA", 8),     # GED says AAA, lies 0.1° (~11 km) inside BBB: snapped to AAA-2
        (0.5, 1.1, "AAA", 16),    # ~11 km north of AAA-1: snapped
        (0.5, 2.0, "AAA", 32),    # ~110 km away: no unit
        (2.5, 0.5, "CCC", 64),    # a country with no polygons: no unit
    ])
    counts = aggregate(frame, by="admin1", admin1=_squares())
    table = counts.array().to_pandas().loc[2019]
    assert table.to_dict() == {"AAA-1": 1 + 16, "AAA-2": 2 + 8, "BBB-1": 4}
    assert counts.dropped == {"events": 2, "deaths_best": 96.0}
    assert set(counts.frame["adm0_a3"]) == {"AAA", "BBB"}
    strict = aggregate(frame, by="admin1", admin1=_squares(), max_km=0)
    assert strict.dropped["events"] == 4


def test_admin1_sums_equal_country_sums(events):
    from geo.admin1 import load_admin1

    admin1 = load_admin1()
    units = aggregate(events, by="admin1", admin1=admin1)
    country = aggregate(events, by="country", max_precision=4)
    assert units.dropped["events"] == 0
    by_country = units.frame.groupby("adm0_a3")["deaths_best"].sum()
    assert by_country.to_dict() == country.frame.groupby("unit")["deaths_best"].sum().to_dict()
    table = units.array().to_pandas()
    assert table.loc[2017, "MLI-2809"] == 10 and table.loc[2019, "NER-4859"] == 20  # Mopti, Tillabéri
    assert table.loc[2018, "MLI-2690"] == 9  # Gao
    # every unit of the events' countries is reported (Mali's 9, Niger's 8, Burkina Faso's 45 provinces)
    assert sum(u.startswith("BFA") for u in units.units) == 45 and len(units.units) == 9 + 8 + 45


def test_bad_arguments(events, g5_grid_10km):
    with pytest.raises(SpilloverError, match="unknown level"):
        aggregate(events, by="province")
    with pytest.raises(SpilloverError, match="unknown period"):
        aggregate(events, period="week")
    with pytest.raises(SpilloverError, match="needs a grid"):
        aggregate(events, by="cell")
    with pytest.raises(SpilloverError, match="cell_array needs counts by cell"):
        aggregate(events).cell_array(g5_grid_10km)
    with pytest.raises(SpilloverError, match="unknown quantity"):
        aggregate(events).array("deaths")
    with pytest.raises(SpilloverError, match="lack column"):
        aggregate(events, by="admin1", admin1=_squares().drop(columns="adm0_a3"))


def test_cell_unit_index(g5_grid_10km):
    from geo.admin1 import load_admin1

    grid = g5_grid_10km
    admin1 = load_admin1(codes=["MLI", "NER"])
    units = tuple(admin1["adm1_code"])
    index = cell_unit_index(grid, units, "admin1", admin1)
    assert index.shape == (grid.shape[0] * grid.shape[1],)
    # every cell of Mali and Niger is in one of their units, no other cell is
    inside = np.isin(grid.country_id.ravel(), [grid.id_of("MLI"), grid.id_of("NER")])
    assert np.all(index[inside] >= 0) and np.all(index[~inside] == -1)
    # unit areas from the cells agree with the polygons' geodesic areas (10 km cells)
    cells = np.bincount(index[index >= 0], minlength=len(units)) * grid.cell_area_km2
    big = admin1["area_km2"].to_numpy() > 20_000
    np.testing.assert_allclose(cells[big], admin1["area_km2"].to_numpy()[big], rtol=0.03)
    row, col = grid.cell_of(-4.19, 14.49)  # Mopti
    assert units[index[row * grid.shape[1] + col]] == "MLI-2809"
    by_country = cell_unit_index(grid, ("NER", "MLI"), "country")
    assert set(np.unique(by_country)) == {-1, 0, 1}
    assert np.array_equal(by_country >= 0, inside)
    with pytest.raises(SpilloverError, match="have no polygon"):
        cell_unit_index(grid, ("XXX-1",), "admin1", admin1)
