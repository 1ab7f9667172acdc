"""Generate SYNTHETIC demonstration answers for the ICC-style framework (indicators/icc.yaml).

Run from anywhere (writes next to this script)::

    python datasets/make_icc_demo.py

Writes

* ``icc_demo_answers.csv`` -- wide layout, one row per city: ``unit, name, edition``,
  the attributes ``population, foreign_born_pct, region``, then one column per
  question holding the chosen answer CODE (numbers, in %, for the two quantitative
  items). Empty cells are unanswered questions.
* ``icc_demo_long.csv`` -- the answers of ONE city (``I16``, Lindqvar) in the long
  layout ``unit,indicator,value,edition``, attributes included as rows. That city
  answered every question: in a one-city file an unanswered question would leave its
  indicator with no data at all, which validation rejects.

Everything is invented: 30 fictional cities (codes I01..I30, names made up) and their
answers for one edition (2025). Answers are correlated through a latent "policy
maturity" per city, an area effect per city and area, a difficulty per question, and
noise; a few cells are left unanswered, and two cities skip the two optional areas
(participation, interaction) altogether, as ICC cities may. The seed is fixed, so
reruns produce byte-identical files.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from statistics import NormalDist

import numpy as np
import yaml

SEED = 20250  # fixed: byte-identical output on every run
EDITION = 2025
HERE = Path(__file__).resolve().parent
FRAMEWORK = HERE.parent / "indicators" / "icc.yaml"
WIDE_OUT = HERE / "icc_demo_answers.csv"
LONG_OUT = HERE / "icc_demo_long.csv"
LONG_UNIT = "I16"  # a city that answered every question (see write())

#: invented city names (made up for this demo; none is meant to be a real city)
CITY_NAMES = [
    "Marlowe Bay", "Kestrelford", "Veldrona", "Ashcombe Reach", "Tirnavel",
    "Calder Moss", "Brisela Nova", "Norrwick Haven", "Quillonne", "Selvara",
    "Dunmere Cross", "Halvenmark", "Porto Lumen", "Ravensholt Vale", "Istravel",
    "Lindqvar", "Merrowgate", "Saint Orlaine", "Vastrelle", "Eskerwold",
    "Tollan Mere", "Corvanne", "Weirhaven Quay", "Bellmoor Rise", "Zandrecht Oost",
    "Oriel Point", "Falkmoor", "Pendrisk", "Larchwyn", "Cobalt Harbour",
]
REGIONS = ["North", "South", "East", "West", "Central"]
ATTRIBUTES = ["population", "foreign_born_pct", "region"]
OPTIONAL_AREAS = ("participation", "interaction")

# latent policy maturity: city-wide level, plus mild effects of size and diversity
SD_MATURITY = 0.7
SIZE_EFFECT = 0.25       # per standard deviation of log(population)
DIVERSITY_EFFECT = 0.25  # per standard deviation of foreign_born_pct
SD_AREA = 0.6            # city x area deviation (strong in one area, weak in another)
SD_DIFFICULTY = 0.4      # some questions are harder to score well on
SD_NOISE = 0.9           # question-level noise
EXTREME_SHARE = 0.7      # relative frequency of the weakest / strongest answer vs a middle one
P_UNANSWERED = 0.025  # chance that any one question is left unanswered
N_SKIP_OPTIONAL = 2   # cities that do not answer the optional areas at all


def _zscore(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / x.std()


def generate() -> tuple[list[str], list[list[str]]]:
    """Return the wide header and rows (all cells as text)."""
    fw = yaml.safe_load(FRAMEWORK.read_text(encoding="utf-8"))
    questions = fw["indicators"]
    areas = [a["code"] for a in fw["aggregates"] if a.get("parent")]
    rng = np.random.default_rng(SEED)
    n = len(CITY_NAMES)

    # ---- cities: attributes and latent policy maturity ---------------------------------
    population = np.clip(np.exp(rng.normal(math.log(180_000), 0.9, n)), 35_000, 2_500_000)
    population = (np.round(population / 100) * 100).astype(int)
    foreign = np.round(4.0 + 34.0 * rng.beta(2.0, 4.0, n), 1)
    region = [REGIONS[k] for k in rng.integers(0, len(REGIONS), n)]
    # bigger and more diverse cities tend to have more mature policies (mildly)
    maturity = (rng.normal(0.0, SD_MATURITY, n) + SIZE_EFFECT * _zscore(np.log(population))
                + DIVERSITY_EFFECT * _zscore(foreign))
    area_effect = {a: rng.normal(0.0, SD_AREA, n) for a in areas}

    # ---- answers ------------------------------------------------------------------------
    # latent y = maturity + area effect - difficulty + noise, cut into the options
    # (ordered by points) at normal quantiles. For a question of average difficulty the
    # two extreme answers are each a bit less likely than a middle one (EXTREME_SHARE).
    latent_sd = math.sqrt(SD_MATURITY**2 + SIZE_EFFECT**2 + DIVERSITY_EFFECT**2 + SD_AREA**2 + SD_NOISE**2)
    answers: dict[str, list[str]] = {}
    for q in questions:
        code, parent = q["code"], q["parent"]
        difficulty = rng.normal(0.0, SD_DIFFICULTY)
        noise = rng.normal(0.0, SD_NOISE, n)
        y = maturity + area_effect[parent] - difficulty + noise
        if q.get("type") == "questionnaire":
            opts = sorted(q["options"], key=lambda o: o["points"])  # stable: file order among ties
            levels = sorted({o["points"] for o in opts})
            k = len(levels)
            share = np.array([EXTREME_SHARE, *([1.0] * (k - 2)), EXTREME_SHARE])
            cum = np.cumsum(share / share.sum())[:-1]
            cuts = [latent_sd * NormalDist().inv_cdf(float(c)) for c in cum]
            level = np.searchsorted(cuts, y)
            tie_draw = rng.random(n)
            col = []
            for i in range(n):
                tied = [o["code"] for o in opts if o["points"] == levels[level[i]]]
                # among options with equal points, the first listed is the usual answer
                # (75 %); the others share the rest
                u = tie_draw[i]
                pick = 0 if len(tied) == 1 or u < 0.75 else 1 + min(int((u - 0.75) / 0.25 * (len(tied) - 1)),
                                                                    len(tied) - 2)
                col.append(tied[pick])
        else:  # quantitative share in %
            pct = 100.0 / (1.0 + np.exp(-(1.5 * y / latent_sd - 0.3)))
            col = [f"{v:.1f}" for v in np.clip(pct, 0.0, 100.0)]
        answers[code] = col

    # ---- unanswered cells ---------------------------------------------------------------
    codes = [q["code"] for q in questions]
    blank = rng.random((n, len(codes))) < P_UNANSWERED
    skip_optional = rng.choice(n, size=N_SKIP_OPTIONAL, replace=False)
    for j, q in enumerate(questions):
        for i in range(n):
            if blank[i, j] or (i in skip_optional and q["parent"] in OPTIONAL_AREAS):
                answers[q["code"]][i] = ""

    header = ["unit", "name", "edition", *ATTRIBUTES, *codes]
    rows = []
    for i in range(n):
        unit = f"I{i + 1:02d}"
        rows.append([unit, CITY_NAMES[i], str(EDITION), str(population[i]), f"{foreign[i]:.1f}", region[i],
                     *(answers[c][i] for c in codes)])
    return header, rows


def write(header: list[str], rows: list[list[str]]) -> None:
    with WIDE_OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)

    row = next(r for r in rows if r[0] == LONG_UNIT)
    if "" in row:
        raise SystemExit(f"{LONG_UNIT} has unanswered questions; pick a complete city for the long file")
    first = header.index("population")
    with LONG_OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["unit", "indicator", "value", "edition"])
        for col, value in zip(header[first:], row[first:], strict=True):
            w.writerow([LONG_UNIT, col, value, str(EDITION)])


def main() -> None:
    header, rows = generate()
    write(header, rows)
    n_blank = sum(cell == "" for r in rows for cell in r[6:])
    print(f"wrote {WIDE_OUT.name}: {len(rows)} cities x {len(header) - 6} questions "
          f"({n_blank} unanswered cells), seed {SEED}")
    print(f"wrote {LONG_OUT.name}: unit {LONG_UNIT}, {len(header) - 3} rows")


if __name__ == "__main__":
    main()
