"""Generate ``datasets/demo_network.csv``: SYNTHETIC demonstration data.

Every city, country, region and value in the output is INVENTED. The file describes
no real city and must never be read as doing so. It exists to demonstrate and test
the openindex engine on the default framework (``indicators/opencities.yaml``).

What it makes: 40 fictional cities in 6 fictional countries, 2 editions (2024 and
2025), one value for every one of the framework's 53 indicators, in the wide layout::

    unit,name,edition,<attributes in framework order>,<indicators in framework order>

How (details in ``datasets/SOURCES.md``):

* a few latent city factors (size, economic strength, openness policy, diversity,
  tourism appeal, international hub role) plus country effects drive every indicator,
  so related indicators are correlated; each indicator adds its own noise;
* counts and per-head rates are log-normal, shares are bounded to [0, 100], national
  scores (MIPEX, freedom scores) are the same for all cities of a country;
* indicators with ``denominator: population`` hold COUNTS, consistent with the
  ``population`` column (count = rate x population / 100,000, or / 1,000 for crime);
* questionnaire items hold answer CODES of the framework's options;
* 2025 = 2024 plus small plausible changes (some policies move up one answer option);
* about 1.5% of indicator cells are left empty, and three indicators get a long right
  tail (outliers) so that winsorisation triggers.

Deterministic: numpy ``default_rng(SEED)``; running it twice gives a byte-identical
file. Run from the repository root::

    python datasets/make_demo.py
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import yaml

SEED = 20240601
EDITIONS = (2024, 2025)
HERE = Path(__file__).resolve().parent
FRAMEWORK = HERE.parent / "indicators" / "opencities.yaml"
OUT = HERE / "demo_network.csv"

# --------------------------------------------------------------------------------------
# Invented geography
# --------------------------------------------------------------------------------------

# country: region, national scores and effects on the latent factors
COUNTRIES: dict[str, dict[str, float | str]] = {
    # econ / policy / tourism: shifts of the latent factors
    # pr, cpi, press: Freedom-House-, CPI- and RSF-type scores; mipex_*: MIPEX-type area scores
    # tax: effective tax rate on a skilled worker; nat: non-nationals per foreign-born resident
    "Valdoria": dict(region="Central", econ=0.35, policy=0.30, tour=0.0, pr=95, cpi=80, press=87,
                     mipex_lab=78, mipex_fam=66, mipex_perm=74, tax=44.0, nat=0.58, att=0.4,
                     unemp=-0.15, phys=0.4, gap=0.5, growth=0.0, col=0.05, permit=0.0),
    "Caskaria": dict(region="Central", econ=0.0, policy=0.0, tour=0.1, pr=91, cpi=71, press=80,
                     mipex_lab=64, mipex_fam=55, mipex_perm=67, tax=47.5, nat=0.66, att=0.0,
                     unemp=0.05, phys=0.1, gap=1.0, growth=-0.2, col=0.0, permit=0.15),
    "Tamberland": dict(region="North", econ=0.6, policy=0.5, tour=-0.3, pr=98, cpi=88, press=93,
                       mipex_lab=88, mipex_fam=74, mipex_perm=81, tax=49.0, nat=0.47, att=0.9,
                       unemp=-0.05, phys=0.2, gap=2.5, growth=0.1, col=0.15, permit=-0.25),
    "Brevonia": dict(region="North", econ=0.3, policy=0.2, tour=-0.2, pr=96, cpi=84, press=90,
                     mipex_lab=73, mipex_fam=60, mipex_perm=70, tax=42.0, nat=0.52, att=0.6,
                     unemp=0.0, phys=0.0, gap=1.5, growth=0.3, col=0.10, permit=-0.1),
    "Orlesia": dict(region="Coast", econ=-0.3, policy=-0.1, tour=0.7, pr=89, cpi=62, press=76,
                    mipex_lab=59, mipex_fam=52, mipex_perm=61, tax=38.5, nat=0.72, att=-0.2,
                    unemp=0.35, phys=0.3, gap=0.0, growth=0.4, col=-0.08, permit=0.3),
    "Merovia": dict(region="East", econ=-0.9, policy=-0.5, tour=0.1, pr=81, cpi=49, press=63,
                    mipex_lab=43, mipex_fam=47, mipex_perm=56, tax=33.0, nat=0.80, att=-0.7,
                    unemp=0.10, phys=-0.3, gap=-0.5, growth=1.1, col=-0.30, permit=0.35),
}

# unit code, invented city name, country (no real city: names are deliberately fanciful)
CITIES: list[tuple[str, str, str]] = [
    ("AVL", "Avelmoor", "Valdoria"),
    ("BRH", "Brisk Harbour", "Orlesia"),
    ("CAL", "Caldenreach", "Valdoria"),
    ("DUN", "Dunmarrow", "Brevonia"),
    ("ELQ", "Elderquay", "Orlesia"),
    ("FEN", "Fenwhistle", "Caskaria"),
    ("GLF", "Glimmerford", "Tamberland"),
    ("HOL", "Hollowmere", "Valdoria"),
    ("IVB", "Ironvale Bay", "Orlesia"),
    ("JUN", "Juniper Crossing", "Caskaria"),
    ("KES", "Kestrelmouth", "Brevonia"),
    ("LAN", "Lanternfield", "Valdoria"),
    ("MAR", "Marrowgate", "Merovia"),
    ("NET", "Nettlebrook", "Tamberland"),
    ("ORS", "Oriel Sands", "Orlesia"),
    ("PEL", "Pellamar", "Merovia"),
    ("QUI", "Quillhaven", "Brevonia"),
    ("RSK", "Roskelmoor", "Caskaria"),
    ("SMP", "Saltmere Point", "Orlesia"),
    ("THI", "Thistlecombe", "Valdoria"),
    ("UMB", "Umberlin", "Merovia"),
    ("VEL", "Velloria", "Caskaria"),
    ("WYN", "Wyndspire", "Tamberland"),
    ("YAR", "Yarrowick", "Brevonia"),
    ("ZEP", "Zephyr Landing", "Orlesia"),
    ("AMB", "Amberkeep", "Valdoria"),
    ("BRW", "Briarwick", "Merovia"),
    ("COP", "Copperlyn", "Brevonia"),
    ("DRI", "Driftholm", "Orlesia"),
    ("EMB", "Emberstad", "Valdoria"),
    ("CIN", "Cinderholm", "Tamberland"),
    ("HAL", "Halcyon Rise", "Caskaria"),
    ("ISL", "Isleborne", "Orlesia"),
    ("JAD", "Jadeport", "Merovia"),
    ("KOR", "Korrinmark", "Valdoria"),
    ("LUM", "Lumenstadt", "Tamberland"),
    ("MIS", "Mistral Downs", "Caskaria"),
    ("NOR", "Norvessa", "Merovia"),
    ("OPA", "Opalcourt", "Valdoria"),
    ("SAB", "Sablewick", "Brevonia"),
]

RAIL_BY_REGION = {"Central": 0.6, "North": 0.0, "Coast": -0.5, "East": -0.4}

# Deliberate outliers (long right tails, so that winsorisation triggers)
HQ_HUBS = ("QUI", "COP")          # small "headquarters hubs" of low-tax Brevonia
RESORT = "ISL"                    # a small seaside resort: huge tourist nights per resident
AIR_HUB = "YAR"                   # a mid-sized city next to an intercontinental hub airport
# Deliberate gaps
NEW_MEMBER = "VEL"                # joined in 2024 and delivered only part of the data
NO_SURVEY = ("DUN", "MAR", "EMB")  # small cities not covered by the perception survey
SMALL_SAMPLE = 2                  # the n smallest cities: no migrant unemployment gap

# Indicators the new member could not deliver in 2024 (city data and questionnaire)
NEW_MEMBER_GAPS = (
    "foreign_hq_density", "fdi_projects", "intl_organisations", "intl_student_inflow",
    "intl_cultural_events", "exhibition_space", "airport_access_time", "intl_rail_connections",
    "intl_students_share", "intl_schools", "foreign_language_instruction", "hate_crime_rate",
    "work_permit_processing_days", "business_startup_foreigners", "intercultural_strategy",
    "dedicated_unit", "multilingual_information", "staff_intercultural_training",
    "welcome_services", "migrant_consultative_body", "anti_discrimination_policy",
    "nationality_diversity", "foreign_unemployment_gap", "top_university_presence",
)

# Decimals written for each output column (0 = integer)
DECIMALS = {
    "foreign_hq_density": 0, "fdi_projects": 2, "diplomatic_missions": 0, "intl_organisations": 0,
    "world_city_connectivity": 3, "foreign_tourist_nights": 2, "intl_air_passengers": 2,
    "foreign_visitor_share": 1, "intl_student_inflow": 1, "intl_association_meetings": 0,
    "intl_trade_fairs": 0, "intl_cultural_events": 0, "exhibition_space": 1,
    "direct_intl_destinations": 0, "airport_access_time": 0, "intl_rail_connections": 0,
    "broadband_coverage": 1, "intl_students_share": 1, "top_university_presence": 0,
    "intl_schools": 0, "tertiary_attainment": 1, "political_rights_score": 0,
    "corruption_perception": 0, "press_freedom": 0, "hate_crime_rate": 0,
    "mipex_labour_mobility": 0, "mipex_family_reunification": 0, "mipex_permanent_residence": 0,
    "work_permit_processing_days": 0, "multilingual_information": 0,
    "staff_intercultural_training": 1, "foreign_born_share": 1, "non_national_share": 1,
    "nationality_diversity": 3, "attitude_immigration": 2, "foreigners_well_integrated": 1,
    "physicians_density": 2, "crime_rate": 0, "unemployment_rate": 1,
    "foreign_unemployment_gap": 1, "satisfaction_city": 1, "gdp_per_capita_pps": -2,
    "gdp_growth": 1, "cost_of_living": 1, "housing_cost_burden": 1, "tax_burden_skilled": 1,
}
# Questionnaire items: (offset of the latent propensity, weight of economic strength)
QUESTIONNAIRE = {
    "foreign_language_instruction": (0.1, 0.5),
    "business_startup_foreigners": (0.0, 0.4),
    "intercultural_strategy": (0.2, 0.1),
    "dedicated_unit": (0.0, 0.2),
    "welcome_services": (0.3, 0.2),
    "migrant_consultative_body": (-0.3, 0.0),
    "anti_discrimination_policy": (0.1, 0.1),
}


def load_framework() -> tuple[list[str], list[str], dict[str, list[str]], dict[str, float]]:
    """From the framework: indicator codes, attribute codes, answer codes per questionnaire
    item, and the denominate scale of each indicator divided by population."""
    fw = yaml.safe_load(FRAMEWORK.read_text(encoding="utf-8"))
    indicators = [i["code"] for i in fw["indicators"]]
    attributes = [a["code"] for a in fw["attributes"]]
    options = {i["code"]: [o["code"] for o in i["options"]]
               for i in fw["indicators"] if i.get("type") == "questionnaire"}
    den = fw.get("build", {}).get("denominate", {})
    scales: dict[str, float] = {}
    for i in fw["indicators"]:
        if i.get("denominator"):
            if i["denominator"] != "population":
                raise SystemExit(f"{i['code']}: the demo only simulates denominator 'population'")
            choice = den.get("overrides", {}).get(i["code"], den)
            scales[i["code"]] = float(choice.get("params", {}).get("scale", 1.0))
    return indicators, attributes, options, scales


# --------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------


def simulate(options: dict[str, list[str]]) -> tuple[dict, dict]:
    """Return (attributes, values): each maps a code to {edition: array over cities}."""
    rng = np.random.default_rng(SEED)
    n = len(CITIES)
    units = [c[0] for c in CITIES]
    country = [c[2] for c in CITIES]
    cp = {k: np.array([float(COUNTRIES[c][k]) for c in country]) for k in
          ("econ", "policy", "tour", "pr", "cpi", "press", "mipex_lab", "mipex_fam", "mipex_perm",
           "tax", "nat", "att", "unemp", "phys", "gap", "growth", "col", "permit")}
    region = [str(COUNTRIES[c]["region"]) for c in country]

    def z() -> np.ndarray:
        return rng.standard_normal(n)

    # ---- population and latent factors (2024) ----------------------------------------
    logpop = np.clip(math.log(330_000) + 0.85 * z(), math.log(60_000), math.log(3_600_000))
    pop = {2024: np.round(np.exp(logpop), -2)}
    size = (logpop - logpop.mean()) / logpop.std()
    capital = np.zeros(n, dtype=bool)
    for c in COUNTRIES:
        idx = [i for i in range(n) if country[i] == c]
        capital[max(idx, key=lambda i: pop[2024][i])] = True
    # latent city factors (standard-normal scale): size, economic strength, openness
    # policy (drives the questionnaire answers), diversity, tourism appeal, hub role
    econ = 0.35 * size + cp["econ"] + 0.6 * z()
    policy = 0.25 * econ + cp["policy"] + 0.8 * z()
    divers = 0.4 * size + 0.3 * econ + 0.7 * z()
    tour = cp["tour"] + 0.8 * z()
    hub = 0.55 * size + 0.35 * econ + 0.1 * tour + 0.4 * capital + 0.5 * z()
    # keep the latent factors moderate: the long tails of the demo are the deliberate ones
    econ, policy, divers, tour, hub = (np.clip(f, -2.0, 2.0) for f in (econ, policy, divers, tour, hub))
    at = {u: i for i, u in enumerate(units)}

    # ---- 2024 latent values (floats before rounding; rates for count indicators) -------
    v: dict[str, np.ndarray] = {}
    v["foreign_hq_density"] = np.exp(0.6 + 0.45 * hub + 0.25 * econ + 0.35 * z())   # per 100k
    for u, k in zip(HQ_HUBS, (14.0, 9.0), strict=True):
        v["foreign_hq_density"][at[u]] *= k
    v["fdi_projects"] = np.exp(0.0 + 0.25 * hub + 0.2 * econ + 0.3 * z())            # per 100k per year
    v["diplomatic_missions"] = np.where(
        capital, np.exp(3.7 + 0.25 * hub + 0.15 * z()), np.exp(1.8 + 0.6 * size + 0.3 * hub + 0.4 * z()))
    v["intl_organisations"] = np.exp(1.5 + 0.25 * size + 0.25 * hub + 0.1 * capital + 0.25 * z())
    v["world_city_connectivity"] = 1 / (1 + np.exp(-(-1.4 + 0.8 * hub + 0.3 * z())))

    v["foreign_tourist_nights"] = np.exp(0.9 + 0.5 * tour + 0.25 * hub + 0.3 * z())
    v["foreign_tourist_nights"][at[RESORT]] = 31.0 + 3 * rng.random()
    v["intl_air_passengers"] = np.exp(0.3 + 0.6 * hub + 0.25 * tour + 0.4 * z())
    v["intl_air_passengers"][at[AIR_HUB]] = 21.0 + 3 * rng.random()
    v["foreign_visitor_share"] = np.clip(35 + 10 * tour + 7 * hub + 8 * z(), 8, 85)
    v["intl_student_inflow"] = np.exp(3.5 + 0.2 * econ + 0.25 * hub + 0.3 * z())

    v["intl_association_meetings"] = np.exp(2.4 + 0.35 * size + 0.25 * hub + 0.3 * z())
    v["intl_trade_fairs"] = np.exp(0.9 + 0.35 * size + 0.25 * econ + 0.3 * z())
    v["intl_cultural_events"] = np.exp(2.0 + 0.3 * size + 0.25 * tour + 0.2 * policy + 0.2 * z())
    v["exhibition_space"] = np.exp(3.3 + 0.25 * econ + 0.1 * size + 0.5 * z())

    v["direct_intl_destinations"] = np.exp(3.2 + 0.7 * hub + 0.35 * z())
    v["direct_intl_destinations"][at[AIR_HUB]] *= 2.5
    v["airport_access_time"] = 18 + 30 * np.exp(-0.35 * hub + 0.35 * z())
    v["airport_access_time"][at[AIR_HUB]] = 14.0
    rail = np.array([RAIL_BY_REGION[r] for r in region])
    v["intl_rail_connections"] = np.exp(1.2 + 0.3 * size + rail + 0.35 * z()) - 1.0
    v["broadband_coverage"] = 100 / (1 + np.exp(-(2.2 + 0.4 * econ + 0.2 * size + 0.35 * z())))

    v["intl_students_share"] = np.exp(2.1 + 0.2 * hub + 0.15 * policy + 0.25 * z())
    v["top_university_presence"] = np.exp(-0.3 + 0.6 * size + 0.3 * econ + 0.3 * z()) - 0.3
    v["intl_schools"] = np.exp(-0.2 + 0.35 * hub + 0.2 * econ + 0.35 * z())          # per 100k
    v["tertiary_attainment"] = 33 + 6 * econ + 2.5 * size + 3 * z()

    v["political_rights_score"] = cp["pr"].copy()
    v["corruption_perception"] = cp["cpi"] + np.round(1.5 * z())                 # regional variation
    v["press_freedom"] = cp["press"].copy()
    v["hate_crime_rate"] = np.exp(1.6 + 0.2 * divers + 0.15 * policy + 0.4 * z())          # per 100k

    v["mipex_labour_mobility"] = cp["mipex_lab"].copy()
    v["mipex_family_reunification"] = cp["mipex_fam"].copy()
    v["mipex_permanent_residence"] = cp["mipex_perm"].copy()
    v["work_permit_processing_days"] = np.exp(math.log(60) + cp["permit"] - 0.15 * policy + 0.3 * z())

    v["multilingual_information"] = 100 / (1 + np.exp(-(-0.3 + 1.0 * policy + 0.3 * divers + 0.5 * z())))
    v["staff_intercultural_training"] = np.exp(2.6 + 0.45 * policy + 0.4 * z())

    v["foreign_born_share"] = np.exp(2.55 + 0.45 * divers + 0.2 * z())
    v["non_national_share"] = v["foreign_born_share"] * cp["nat"] * np.exp(0.1 * z())
    v["nationality_diversity"] = 1 - np.exp(-(1.8 + 0.35 * divers + 0.3 * hub + 0.25 * z()))
    v["attitude_immigration"] = 5.4 + cp["att"] + 0.35 * policy + 0.15 * econ + 0.25 * z()
    v["foreigners_well_integrated"] = 52 + 8 * cp["att"] + 6 * policy + 3 * econ + 5 * z()

    v["physicians_density"] = 3.6 + cp["phys"] + 0.3 * econ + 0.25 * size + 0.35 * z()
    v["crime_rate"] = np.exp(math.log(55) + 0.15 * size - 0.1 * econ + 0.25 * tour + 0.25 * z())  # per 1,000
    v["unemployment_rate"] = np.exp(math.log(7) + cp["unemp"] - 0.3 * econ + 0.25 * z())
    v["foreign_unemployment_gap"] = 3.5 + cp["gap"] - 0.8 * policy + 1.5 * z()
    v["satisfaction_city"] = 100 / (1 + np.exp(-(1.8 + 0.25 * econ + 0.15 * policy + 0.25 * z())))

    v["gdp_per_capita_pps"] = np.exp(math.log(33_000) + 0.22 * econ + 0.08 * size + 0.08 * z())
    v["gdp_growth"] = 1.6 + cp["growth"] + 0.3 * econ + 0.7 * z()
    v["cost_of_living"] = np.exp(0.12 * econ + 0.05 * size + cp["col"] + 0.05 * z())  # re-centred below
    v["housing_cost_burden"] = 28 + 3.5 * size + 2.5 * econ + 2 * divers + 3 * z()
    v["tax_burden_skilled"] = cp["tax"] + 0.8 * z()

    # questionnaire items: an ordered answer level from the openness propensity
    q: dict[str, np.ndarray] = {}
    for code, (offset, econ_w) in QUESTIONNAIRE.items():
        k = len(options[code])
        latent = policy + econ_w * econ + offset + 0.6 * z()
        cuts = np.linspace(-1.3, 1.3, k - 1)
        q[code] = np.searchsorted(cuts, latent)

    # ---- 2025: small plausible changes ----------------------------------------------
    pop[2025] = np.round(pop[2024] * (1 + 0.005 + 0.007 * z()), -2)
    w: dict[str, np.ndarray] = {}

    def mult(code: str, trend: float, sd: float) -> None:
        w[code] = v[code] * np.exp(trend + sd * z())

    def add(code: str, trend: float, sd: float) -> None:
        w[code] = v[code] + trend + sd * z()

    for code, trend, sd in (
        ("foreign_hq_density", 0.01, 0.05), ("fdi_projects", 0.02, 0.08),
        ("diplomatic_missions", 0.0, 0.03), ("intl_organisations", 0.01, 0.04),
        ("world_city_connectivity", 0.0, 0.03), ("foreign_tourist_nights", 0.04, 0.06),
        ("intl_air_passengers", 0.05, 0.06), ("intl_student_inflow", 0.02, 0.06),
        ("intl_association_meetings", 0.02, 0.12), ("intl_trade_fairs", 0.0, 0.12),
        ("intl_cultural_events", 0.02, 0.10), ("exhibition_space", 0.0, 0.02),
        ("direct_intl_destinations", 0.03, 0.06), ("airport_access_time", 0.0, 0.03),
        ("intl_rail_connections", 0.02, 0.08), ("intl_students_share", 0.02, 0.05),
        ("top_university_presence", 0.0, 0.04), ("intl_schools", 0.01, 0.05),
        ("hate_crime_rate", 0.03, 0.12), ("work_permit_processing_days", -0.03, 0.08),
        ("staff_intercultural_training", 0.06, 0.10), ("foreign_born_share", 0.015, 0.015),
        ("non_national_share", 0.01, 0.02), ("crime_rate", -0.01, 0.04),
        ("unemployment_rate", -0.02, 0.06), ("gdp_per_capita_pps", 0.025, 0.015),
        ("cost_of_living", 0.0, 0.01),
    ):
        mult(code, trend, sd)
    for code, trend, sd in (
        ("foreign_visitor_share", 0.3, 1.0), ("broadband_coverage", 1.2, 0.6),
        ("tertiary_attainment", 0.3, 0.4), ("multilingual_information", 1.5, 3.0),
        ("nationality_diversity", 0.0, 0.004), ("attitude_immigration", 0.02, 0.08),
        ("foreigners_well_integrated", 0.2, 1.2), ("physicians_density", 0.03, 0.04),
        ("foreign_unemployment_gap", -0.1, 0.6), ("satisfaction_city", 0.0, 0.8),
        ("gdp_growth", -0.1, 0.25), ("housing_cost_burden", 0.4, 0.6),
        ("tax_burden_skilled", 0.0, 0.1),
    ):
        add(code, trend, sd)
    # national scores: a few national reforms and small score revisions
    w["political_rights_score"] = v["political_rights_score"].copy()
    w["political_rights_score"][np.array(country) == "Merovia"] -= 2
    w["press_freedom"] = v["press_freedom"] + np.select(
        [np.array(country) == "Orlesia", np.array(country) == "Caskaria"], [2, -1], 0)
    w["corruption_perception"] = v["corruption_perception"] + np.select(
        [np.array(country) == "Tamberland", np.array(country) == "Merovia"], [-1, 1], 0)
    w["mipex_labour_mobility"] = v["mipex_labour_mobility"] + np.where(np.array(country) == "Caskaria", 6, 0)
    w["mipex_family_reunification"] = v["mipex_family_reunification"] + np.select(
        [np.array(country) == "Brevonia", np.array(country) == "Orlesia"], [-8, 4], 0)
    w["mipex_permanent_residence"] = v["mipex_permanent_residence"].copy()
    # questionnaire: about 1 in 8 answers moves up one option (more often in open cities),
    # about 1 in 50 moves down
    q25: dict[str, np.ndarray] = {}
    for code, level in q.items():
        k = len(options[code])
        r = rng.random(n)
        up = (r < 0.09 + 0.06 * (policy > 0)) & (level < k - 1)
        down = (r > 0.98) & (level > 0)
        q25[code] = level + up - down

    values = {code: {2024: v[code], 2025: w[code]} for code in v}
    answers = {code: {2024: q[code], 2025: q25[code]} for code in q}

    # census foreign-born share: fixed between editions, a little below the current value
    census = v["foreign_born_share"] * np.exp(-0.05 + 0.03 * z())
    attrs = {
        "population": pop,
        "region": {e: np.array(region, dtype=object) for e in EDITIONS},
        "country": {e: np.array(country, dtype=object) for e in EDITIONS},
        "capital": {e: np.where(capital, "yes", "no").astype(object) for e in EDITIONS},
        "foreign_born_pct": {e: census for e in EDITIONS},
    }
    return attrs, {"values": values, "answers": answers, "rng": rng}


# --------------------------------------------------------------------------------------
# From latent values to the cells of the file
# --------------------------------------------------------------------------------------


def bounded(code: str, x: np.ndarray) -> np.ndarray:
    """Clip to the plausible range of each indicator."""
    lo_hi = {
        "foreign_visitor_share": (5, 90), "broadband_coverage": (40, 99.8), "tertiary_attainment": (15, 65),
        "multilingual_information": (0, 100), "staff_intercultural_training": (0.5, 90),
        "foreign_born_share": (2, 60), "non_national_share": (1, 50), "nationality_diversity": (0.3, 0.97),
        "attitude_immigration": (2.5, 8.5), "foreigners_well_integrated": (20, 85),
        "physicians_density": (1.8, 7), "unemployment_rate": (2, 25), "satisfaction_city": (55, 98),
        "housing_cost_burden": (12, 60), "airport_access_time": (10, 150),
        "work_permit_processing_days": (10, 240), "world_city_connectivity": (0.01, 0.99),
    }
    lo, hi = lo_hi.get(code, (-np.inf, np.inf))
    return np.clip(x, lo, hi)


def cells(indicators, options, denominators, attrs, sim) -> dict[str, dict[int, list]]:
    """Final values per indicator and edition: numbers or answer codes (None = missing)."""
    values, answers, rng = sim["values"], sim["answers"], sim["rng"]
    n = len(CITIES)
    out: dict[str, dict[int, list]] = {}
    for code in indicators:
        out[code] = {}
        for e in EDITIONS:
            if code in answers:
                out[code][e] = [options[code][int(k)] for k in answers[code][e]]
                continue
            x = bounded(code, values[code][e].astype(float))
            if code in denominators:
                # the column holds a COUNT consistent with the population column:
                # count = rate x population / scale (scale from build.denominate)
                x = x * attrs["population"][e] / denominators[code]
                if code == "fdi_projects":          # 3-year average of whole projects
                    x = np.round(x * 3) / 3
                else:
                    x = np.round(x)
            elif code == "cost_of_living":          # relative to the edition's mean
                x = x / x.mean() * 100
            elif DECIMALS[code] == 0:
                x = np.maximum(np.round(x), 0)
            out[code][e] = list(x)

    # ---- deliberate gaps ---------------------------------------------------------------
    units = [c[0] for c in CITIES]
    at = {u: i for i, u in enumerate(units)}
    for code in NEW_MEMBER_GAPS:
        out[code][2024][at[NEW_MEMBER]] = None
    for u in NO_SURVEY:
        for code in ("foreigners_well_integrated", "satisfaction_city"):
            for e in EDITIONS:
                out[code][e][at[u]] = None
    smallest = np.argsort(attrs["population"][2024], kind="stable")[:SMALL_SAMPLE]
    for i in smallest:
        for e in EDITIONS:
            out["foreign_unemployment_gap"][e][int(i)] = None
    # scattered gaps: 20 statistics and 2 unanswered questions, at random
    national = {"political_rights_score", "corruption_perception", "press_freedom",
                "mipex_labour_mobility", "mipex_family_reunification", "mipex_permanent_residence",
                "tax_burden_skilled", "cost_of_living"}
    stats = [c for c in indicators if c not in answers and c not in national]
    quest = [c for c in indicators if c in answers]
    # the deliberate outliers stay present
    keep = {(at[u], "foreign_hq_density") for u in HQ_HUBS}
    keep |= {(at[RESORT], "foreign_tourist_nights"), (at[AIR_HUB], "intl_air_passengers")}
    chosen: set[tuple[int, int, str]] = set()
    for pool, k in ((stats, 20), (quest, 2)):
        got = 0
        while got < k:
            i = int(rng.integers(n))
            e = EDITIONS[int(rng.integers(2))]
            code = pool[int(rng.integers(len(pool)))]
            if (units[i] == NEW_MEMBER or (i, e, code) in chosen or (i, code) in keep
                    or out[code][e][i] is None):
                continue
            chosen.add((i, e, code))
            out[code][e][i] = None
            got += 1
    return out


def fmt(x, decimals: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, str):
        return x
    if decimals <= 0:
        return str(int(round(float(x), decimals)))
    text = f"{float(x):.{decimals}f}"
    return "0." + "0" * decimals if text == "-0." + "0" * decimals else text


def main() -> Path:
    indicators, attributes, options, denominators = load_framework()
    missing = set(indicators) - set(DECIMALS) - set(QUESTIONNAIRE)
    extra = (set(DECIMALS) | set(QUESTIONNAIRE)) - set(indicators)
    if missing or extra:
        raise SystemExit(f"framework and generator disagree: missing {sorted(missing)}, "
                         f"extra {sorted(extra)}")
    attrs, sim = simulate(options)
    if set(attributes) != set(attrs):
        raise SystemExit(f"framework attributes {attributes} differ from generated {sorted(attrs)}")
    table = cells(indicators, options, denominators, attrs, sim)

    attr_decimals = {"population": 0, "foreign_born_pct": 1}
    with OUT.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["unit", "name", "edition", *attributes, *indicators])
        for e in EDITIONS:
            for i, (unit, name, _country) in enumerate(CITIES):
                row = [unit, name, str(e)]
                row += [fmt(attrs[a][e][i], attr_decimals.get(a, 0)) for a in attributes]
                row += [fmt(table[c][e][i], DECIMALS.get(c, 0)) for c in indicators]
                writer.writerow(row)
    return OUT


if __name__ == "__main__":
    path = main()
    print(f"wrote {path} (synthetic demonstration data, seed {SEED})")
