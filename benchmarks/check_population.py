"""Check the population surface against published census shares per admin-1 unit (writes the numbers of
``benchmarks/results_population.md``).

For each country with a census table below, the share of the country's people that the surface puts in each
admin-1 unit (Burkina Faso: its 13 regions, dissolved from the provinces) is compared with the census share:
mean absolute error in percentage points (MAE), the largest error, and the Spearman rank correlation. Beside the
chosen method, in the same run: two baselines (people spread evenly over the country's area; only the listed
GeoNames populations) and variants of the method's parameters.

The census tables are the published totals per unit (Mali RGPH 2009, Niger RGP/H 2012, Burkina Faso RGPH 2006,
Nigeria 2006, Ghana 2010) as widely reproduced (e.g. in the national statistics offices' reports and Wikipedia's
tables of the regions); only shares within a country are used, so the census year matters only through internal
migration since.

    python benchmarks/check_population.py            # the table for the chosen method, 10 km grid
    python benchmarks/check_population.py --variants # also the baselines and parameter variants
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

CENSUS = {
    "MLI": {"Kayes": 1_996_812, "Koulikoro": 2_418_305, "Sikasso": 2_625_919, "Ségou": 2_336_255,
            "Mopti": 2_037_330, "Timbuktu": 681_691, "Gao": 544_120, "Kidal": 67_638, "Bamako": 1_810_366},
    "NER": {"Agadez": 487_620, "Diffa": 593_821, "Dosso": 2_037_713, "Maradi": 3_402_094, "Niamey": 1_026_848,
            "Tahoua": 3_328_365, "Tillabéri": 2_722_482, "Zinder": 3_539_764},
    "BFA": {"Boucle du Mouhoun": 1_442_749, "Cascades": 531_808, "Centre": 1_727_390, "Centre-Est": 1_132_016,
            "Centre-Nord": 1_202_025, "Centre-Ouest": 1_186_566, "Centre-Sud": 641_443, "Est": 1_212_284,
            "Hauts-Bassins": 1_469_604, "Nord": 1_185_796, "Plateau-Central": 696_372, "Sahel": 968_442,
            "Sud-Ouest": 620_767},
    "GHA": {"Ashanti": 4_780_380, "Greater Accra": 4_010_054, "Eastern": 2_633_154, "Western": 2_376_021,
            "Northern": 2_479_461, "Brong Ahafo": 2_310_983, "Volta": 2_118_252, "Central": 2_201_863,
            "Upper East": 1_046_545, "Upper West": 702_110},
    "NGA": {"Kano": 9_401_288, "Lagos": 9_113_605, "Kaduna": 6_113_503, "Katsina": 5_801_584, "Oyo": 5_580_894,
            "Rivers": 5_198_716, "Bauchi": 4_653_066, "Jigawa": 4_361_002, "Benue": 4_253_641,
            "Anambra": 4_177_828, "Borno": 4_171_104, "Delta": 4_112_445, "Niger": 3_954_772, "Imo": 3_927_563,
            "Akwa Ibom": 3_902_051, "Ogun": 3_751_140, "Sokoto": 3_702_676, "Ondo": 3_460_877,
            "Osun": 3_416_959, "Kogi": 3_314_043, "Zamfara": 3_278_873, "Enugu": 3_267_837, "Kebbi": 3_256_541,
            "Edo": 3_233_366, "Plateau": 3_206_531, "Adamawa": 3_178_950, "Cross River": 2_892_988,
            "Abia": 2_845_380, "Ekiti": 2_398_957, "Kwara": 2_365_353, "Gombe": 2_365_040, "Yobe": 2_321_339,
            "Taraba": 2_294_800, "Ebonyi": 2_176_947, "Nassarawa": 1_869_377, "Bayelsa": 1_704_515,
            "Federal Capital Territory": 1_406_239},
}
YEARS = {"MLI": "RGPH 2009", "NER": "RGP/H 2012", "BFA": "RGPH 2006 (13 regions)", "GHA": "census 2010",
         "NGA": "census 2006 (37 states)"}


def unit_shares(grid, people: np.ndarray, code: str) -> pd.Series:
    """Share of country ``code``'s people in each admin-1 unit (Burkina Faso: per region), by unit name."""
    from geo.admin1 import load_admin1

    sums = np.bincount(grid.admin1_id.ravel(), weights=people.ravel(), minlength=len(grid.admin1_codes) + 1)[1:]
    frame = pd.DataFrame({"adm1_code": grid.admin1_codes, "country": grid.admin1_country, "people": sums})
    frame = frame[frame["country"] == code]
    units = load_admin1(codes=[code])
    key = units["region"] if code == "BFA" else units["name"]
    frame["unit"] = frame["adm1_code"].map(key)
    shares = frame.groupby("unit")["people"].sum()
    return shares / shares.sum()


def unit_areas(code: str) -> pd.Series:
    from geo.admin1 import load_admin1

    units = load_admin1(codes=[code])
    return units.groupby(units["region"] if code == "BFA" else units["name"])["area_km2"].sum()


def compare(grid, people: np.ndarray, code: str) -> dict:
    """Shares against the census: MAE and largest error (percentage points), Spearman of the shares and of the
    densities (people per km² of each unit, the quantity the model uses)."""
    census = pd.Series(CENSUS[code], dtype=float)
    census = census / census.sum()
    model = unit_shares(grid, people, code).reindex(census.index)
    if model.isna().any():
        raise KeyError(f"{code}: no unit named {list(model.index[model.isna()])}")
    area = unit_areas(code).reindex(census.index)
    error = (model - census) * 100
    return {"mae_pp": float(error.abs().mean()), "max_pp": float(error.abs().max()),
            "worst": str(error.abs().idxmax()), "spearman": float(spearmanr(model, census).statistic),
            "density_spearman": float(spearmanr(model / area, census / area).statistic),
            "model": model, "census": census}


def baselines(grid, places, totals):
    """People spread evenly over each country; and the listed GeoNames populations alone (in their cells)."""
    from geo.population import _place_cells

    even = np.zeros(grid.shape)
    for k, code in enumerate(grid.codes, start=1):
        inside = grid.country_id == k
        even[inside] = totals[code] / inside.sum()
    rows, cols, _, pop = _place_cells(grid, places)
    listed = np.zeros(grid.shape)
    np.add.at(listed, (rows, cols), pop)
    return {"even over the area": even, "listed places only": listed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell-km", type=float, default=10.0)
    parser.add_argument("--variants", action="store_true")
    args = parser.parse_args()

    from geo import build_grid, load_countries
    from geo.gazetteer import load_places
    from geo.population import population_surface, _default_totals

    grid = build_grid(load_countries(), cell_km=args.cell_km)
    codes = list(CENSUS)
    methods = {"chosen (defaults)": population_surface(grid).people}
    if args.variants:
        methods.update(baselines(grid, load_places(), _default_totals()))
        for label, kwargs in [
                              ("clustering 1.5", dict(clustering=1.5)), ("clustering 2", dict(clustering=2.0)),
                              ("kernel 15 km", dict(rural_kernel_km=15.0)),
                              ("kernel 60 km", dict(rural_kernel_km=60.0)),
                              ("kernel 120 km", dict(rural_kernel_km=120.0)),
                              ("urban density 2,000/km²", dict(urban_density=2000.0)),
                              ("floor 0", dict(floor_share=0.0)), ("floor 0.1", dict(floor_share=0.1)),
                              ("min rural share 0.5", dict(min_rural_share=0.5))]:
            methods[label] = population_surface(grid, **kwargs).people
    print(f"# share of each country's people per admin-1 unit against the census; {args.cell_km:g} km grid")
    print("MAE of the shares in percentage points (largest error and its unit; Spearman ρ of the shares / of the "
          "densities)\n")
    print("| method | " + " | ".join(f"{c}" for c in codes) + " | mean MAE |")
    print("|---|" + "---|" * (len(codes) + 1))
    for label, people in methods.items():
        results = [compare(grid, people, c) for c in codes]
        cells = [f"{r['mae_pp']:.1f} ({r['max_pp']:.1f} {r['worst']}; {r['spearman']:.2f} / "
                 f"{r['density_spearman']:.2f})" for r in results]
        print(f"| {label} | " + " | ".join(cells) + f" | {np.mean([r['mae_pp'] for r in results]):.2f} |")
    for code in ("MLI", "NER", "BFA"):
        r = compare(grid, methods["chosen (defaults)"], code)
        print(f"\n{code} ({YEARS[code]}): unit, surface %, census %")
        for unit in r["census"].sort_values(ascending=False).index:
            print(f"  {unit:<20} {100 * r['model'][unit]:5.1f} {100 * r['census'][unit]:5.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
