"""Synthetic names and e-mail addresses (Faker's en_GB lists, sampled with numpy).

Drawing from Faker's name lists with a seeded numpy generator is deterministic and about
a hundred times faster than calling ``Faker.name()`` per person, which matters for the
300,000 customers of the ``large`` organisation.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from faker import Faker
from faker.providers.person.en_GB import Provider as _PersonProvider

LOCALE = "en_GB"

_FIRST_NAMES = np.array(
    sorted(set(_PersonProvider.first_names_female) | set(_PersonProvider.first_names_male)),
    dtype=object,
)
_LAST_NAMES = np.array(list(_PersonProvider.last_names), dtype=object)
_LAST_NAME_P = np.array(list(_PersonProvider.last_names.values()), dtype=float)
_LAST_NAME_P /= _LAST_NAME_P.sum()

# Real UK towns for unit names (public geography, not personal data).
TOWNS = (
    "Aberdeen", "Bath", "Bedford", "Belfast", "Birmingham", "Blackpool", "Bolton",
    "Bournemouth", "Bradford", "Brighton", "Bristol", "Cambridge", "Canterbury", "Cardiff",
    "Carlisle", "Chelmsford", "Chester", "Colchester", "Coventry", "Crawley", "Derby",
    "Doncaster", "Dundee", "Durham", "Edinburgh", "Exeter", "Glasgow", "Gloucester",
    "Guildford", "Harrogate", "Huddersfield", "Hull", "Inverness", "Ipswich", "Kendal",
    "Lancaster", "Leeds", "Leicester", "Lincoln", "Liverpool", "Luton", "Maidstone",
    "Manchester", "Middlesbrough", "Milton Keynes", "Newcastle", "Newport", "Northampton",
    "Norwich", "Nottingham", "Oxford", "Perth", "Peterborough", "Plymouth", "Portsmouth",
    "Preston", "Reading", "Salisbury", "Sheffield", "Shrewsbury", "Southampton", "Stirling",
    "Stockport", "Stoke", "Sunderland", "Swansea", "Swindon", "Taunton", "Truro",
    "Wakefield", "Warrington", "Watford", "Winchester", "Wolverhampton", "Worcester",
    "Wrexham", "York",
)  # fmt: skip

REGIONS = (
    "North", "South", "Midlands", "Scotland", "Wales", "London", "East", "West",
    "North West", "North East", "South West", "South East", "Yorkshire", "East Anglia",
    "Northern Ireland",
)  # fmt: skip

# The towns of each region, so an area is named after a town in its region. Regions that
# overlap (North and North West) may share towns; an area never takes a town another area has.
REGION_TOWNS: dict[str, tuple[str, ...]] = {
    "North": (
        "Leeds", "Sheffield", "Newcastle", "York", "Manchester", "Liverpool", "Hull",
        "Durham", "Preston", "Bradford", "Sunderland", "Lancaster", "Harrogate", "Doncaster",
    ),
    "South": (
        "Southampton", "Brighton", "Portsmouth", "Bournemouth", "Exeter", "Plymouth",
        "Reading", "Guildford", "Winchester", "Salisbury", "Crawley", "Maidstone", "Canterbury",
        "Taunton",
    ),
    "Midlands": (
        "Birmingham", "Nottingham", "Leicester", "Coventry", "Derby", "Wolverhampton", "Stoke",
        "Northampton", "Lincoln", "Worcester", "Shrewsbury",
    ),
    "Scotland": ("Glasgow", "Edinburgh", "Aberdeen", "Dundee", "Inverness", "Perth", "Stirling"),
    "Wales": ("Cardiff", "Swansea", "Newport", "Wrexham"),
    "London": ("Croydon", "Kingston", "Romford", "Bromley", "Ealing", "Stratford", "Watford"),
    "East": (
        "Norwich", "Cambridge", "Ipswich", "Peterborough", "Colchester", "Chelmsford", "Luton",
        "Bedford", "Milton Keynes",
    ),
    "West": ("Bristol", "Bath", "Gloucester", "Swindon", "Cheltenham", "Hereford"),
    "North West": (
        "Manchester", "Liverpool", "Preston", "Blackpool", "Bolton", "Stockport", "Warrington",
        "Chester", "Carlisle", "Kendal", "Lancaster",
    ),
    "North East": ("Newcastle", "Sunderland", "Durham", "Middlesbrough", "Darlington"),
    "South West": ("Plymouth", "Exeter", "Truro", "Taunton", "Torquay", "Barnstaple", "Yeovil"),
    "South East": (
        "Brighton", "Crawley", "Guildford", "Maidstone", "Canterbury", "Reading", "Oxford",
        "Tunbridge Wells", "Eastbourne",
    ),
    "Yorkshire": (
        "Leeds", "Sheffield", "Bradford", "York", "Hull", "Harrogate", "Huddersfield",
        "Wakefield", "Doncaster", "Scarborough",
    ),
    "East Anglia": ("Norwich", "Ipswich", "Cambridge", "Colchester", "King's Lynn", "Bury St Edmunds"),
    "Northern Ireland": ("Belfast", "Derry", "Lisburn", "Newry", "Armagh", "Bangor"),
}  # fmt: skip

STORE_SUFFIXES = (
    "High Street", "Retail Park", "Central", "Market Square", "Station Road", "Riverside",
    "Shopping Centre", "Old Town", "Gateway", "Quayside",
)  # fmt: skip


def organisation_name(seed: int | None) -> str:
    """A company name from Faker (en_GB) seeded with ``seed``."""
    fake = Faker(LOCALE)
    fake.seed_instance(seed)
    return fake.company()


def person_names(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` first and last names (last names by their en_GB frequency weights)."""
    first = _FIRST_NAMES[rng.integers(0, _FIRST_NAMES.size, n)]
    last = _LAST_NAMES[rng.choice(_LAST_NAMES.size, size=n, p=_LAST_NAME_P)]
    return first, last


def slug(text: str) -> str:
    """Lower-case letters and digits only (for e-mail local parts and domains)."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def unique_emails(first: np.ndarray, last: np.ndarray, domains: np.ndarray | str) -> np.ndarray:
    """``first.last@domain``, with a number appended to repeats so every address is unique."""
    local = (
        pd.Series(first, dtype=object).str.lower().str.replace(r"[^a-z]", "", regex=True)
        + "."
        + pd.Series(last, dtype=object).str.lower().str.replace(r"[^a-z]", "", regex=True)
    )
    domain = pd.Series(np.broadcast_to(np.asarray(domains, dtype=object), local.shape))
    address = local + "@" + domain
    repeat = address.groupby(address).cumcount()
    numbered = local + (repeat + 1).astype(str) + "@" + domain
    return np.where(repeat.to_numpy() > 0, numbered.to_numpy(), address.to_numpy())


def unique_labels(labels: list[str]) -> list[str]:
    """Append " 2", " 3", ... to repeated labels so unit names are unique."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} {seen[label]}")
    return out
