"""The real-data path: the shared UCDP GED extract (``$SPILLOVER_SHARED/data``, else ``../shared/data``).

Checked against the figures its README publishes (UCDP's own country totals) and the within-country shares
GUIDE.md states; skipped only when the file is absent. Also runs the module docstrings' examples.
"""
from __future__ import annotations

import doctest

import numpy as np
import pytest

from sim.evidence.observed import default_ged_path, read_ged

GED = default_ged_path()
needs_ged = pytest.mark.skipif(not GED.exists(), reason=f"shared GED extract not found at {GED} "
                               "(set SPILLOVER_SHARED to the shared folder)")


@pytest.fixture(scope="module")
def events():
    return read_ged(GED)


@pytest.fixture(scope="module")
def admin1():
    from geo.admin1 import load_admin1

    return load_admin1()


@needs_ged
def test_published_country_totals(events):
    from sim.evidence.aggregate import aggregate

    assert events.n_read == 1558 and events.unmapped_countries == []
    table = aggregate(events, by="country", years=(2010, 2019)).array().to_pandas()
    assert table.loc[2018, "MLI"] == 1281 and table.loc[2019, "BFA"] == 1246 and table.loc[2015, "NER"] == 533
    assert table.loc[2012, "MLI"] == 359 and table.loc[2013, "MLI"] == 881
    assert table.loc[2018, "BFA"] == 195 and table.loc[2019, "NER"] == 454
    assert table.loc[2010:2015, "BFA"].sum() == 0
    assert set(table.columns) == {"MLI", "BFA", "NER", "BEN", "TGO", "CIV", "SEN"}


@needs_ged
def test_admin1_shares_and_conservation(events, admin1):
    from sim.evidence.aggregate import aggregate

    units = aggregate(events, by="admin1", admin1=admin1, years=(2010, 2019))
    assert units.dropped["events"] == 0
    country = aggregate(events, by="country", max_precision=4, years=(2010, 2019))
    sums = units.frame.groupby(["adm0_a3", "period"])["deaths_best"].sum()
    expected = country.frame.set_index(["unit", "period"])["deaths_best"]
    np.testing.assert_array_equal(sums.reindex(expected.index, fill_value=0).to_numpy(), expected.to_numpy())
    table = units.array().to_pandas()
    mali = table[[u for u in units.units if u.startswith("MLI")]].sum(axis=1)
    niger = table[[u for u in units.units if u.startswith("NER")]].sum(axis=1)
    assert table.loc[2019, "MLI-2809"] / mali[2019] > 0.6  # Mopti dominates Mali's 2019 deaths
    assert table.loc[2015, "NER-796"] / niger[2015] > 0.95  # Niger's 2015 deaths: Diffa (Lake Chad theatre)
    assert table.loc[2019, ["NER-4859", "NER-796"]].sum() / niger[2019] > 0.9  # Tillabéri and Diffa


@needs_ged
def test_cells_conserve_the_country_totals_on_the_real_record(events, region_grid_20km):
    from sim.evidence.aggregate import aggregate

    cells = aggregate(events, by="cell", grid=region_grid_20km, max_precision=4, years=(2010, 2019))
    country = aggregate(events, by="country", max_precision=4, years=(2010, 2019))
    assert cells.dropped["events"] == 0
    np.testing.assert_array_equal(cells.cell_array(region_grid_20km).sum(("y", "x")).values,
                                  country.array().sum("unit").values)


@needs_ged
def test_baselines_on_the_record(events, admin1):
    from sim.evidence.aggregate import aggregate
    from sim.evidence.baselines import baseline_skill

    counts = aggregate(events, by="admin1", admin1=admin1, years=(2010, 2019))
    table = baseline_skill(counts, members=200).set_index("forecaster")
    assert set(table["n"]) == {len(counts.units) * 9}
    assert table.loc["persistence (point)", "log_mae"] < table.loc["zero", "log_mae"]
    assert table.loc["persistence (empirical)", "crps"] < table.loc["zero", "crps"]


@needs_ged
def test_observed_figure(events, admin1, countries, tmp_path):
    from geo.grid import build_grid
    from sim.evidence.aggregate import aggregate
    from sim.plotting.observed import plot_observed

    grid = build_grid(countries, cell_km=50, codes=["MLI", "BFA", "NER", "SEN", "CIV", "TGO", "BEN"])
    country = aggregate(events, by="country", years=(2010, 2019))
    for by, kwargs in (("admin1", {"admin1": admin1}), ("cell", {"grid": grid})):
        counts = aggregate(events, by=by, years=(2017, 2019), **kwargs)
        written = plot_observed(events, counts, country, grid, countries, tmp_path / f"observed_{by}.png",
                                admin1=admin1)
        assert written[0].stat().st_size > 20_000


@pytest.mark.parametrize("module", ["observed", "aggregate", "likelihood", "scores", "baselines"])
def test_docstring_examples(module):
    import importlib

    mod = importlib.import_module(f"sim.evidence.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
