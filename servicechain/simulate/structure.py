"""The unit tree and the positions (jobs) in it.

The tree is root -> regions -> areas -> stores/teams, plus one contact centre reporting to
the root. Every position belongs to one unit; over time a position is held by a sequence
of employees (see :mod:`servicechain.simulate.workforce`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from servicechain.simulate.names import (
    REGION_TOWNS,
    REGIONS,
    STORE_SUFFIXES,
    TOWNS,
    organisation_name,
    unique_labels,
)

MIN_UNITS = 5
LEAF_KINDS = ("store", "team")
# Parts of a town, for a region with more areas than towns.
DISTRICTS = ("North", "South", "East", "West", "Central")
SERVING_KINDS = ("store", "team", "contact_centre")

# (unit kind, job family) -> job titles to draw from.
JOB_TITLES: dict[tuple[str, str], tuple[str, ...]] = {
    ("organisation", "manager"): ("Chief Executive",),
    ("organisation", "support"): (
        "HR Business Partner",
        "Finance Analyst",
        "People Analyst",
        "Customer Insight Analyst",
        "Learning Designer",
    ),
    ("region", "manager"): ("Regional Director",),
    ("area", "manager"): ("Area Manager",),
    ("store", "manager"): ("Store Manager",),
    ("store", "frontline"): ("Customer Advisor", "Sales Assistant"),
    ("store", "specialist"): ("Product Specialist", "Senior Customer Advisor"),
    ("store", "support"): ("Stock Controller", "Store Administrator"),
    ("team", "manager"): ("Service Team Manager",),
    ("team", "frontline"): ("Service Engineer", "Customer Engineer"),
    ("team", "specialist"): ("Technical Specialist",),
    ("team", "support"): ("Service Planner",),
    ("contact_centre", "manager"): ("Contact Centre Manager",),
    ("contact_centre", "frontline"): ("Customer Service Agent",),
    ("contact_centre", "specialist"): ("Team Leader", "Quality Coach"),
    ("contact_centre", "support"): ("Workforce Planner",),
}


@dataclass(frozen=True)
class Units:
    """The unit tree as parallel arrays (index = unit number, parents first)."""

    external_id: np.ndarray
    name: np.ndarray
    parent: np.ndarray  # unit number of the parent, -1 for the root
    kind: np.ndarray
    depth: np.ndarray

    @property
    def n(self) -> int:
        return self.external_id.size

    @property
    def serving(self) -> np.ndarray:
        """Boolean mask of units that serve customers (stores, teams, contact centre)."""
        return np.isin(self.kind, SERVING_KINDS)

    def frame(self) -> pd.DataFrame:
        parent_id = np.where(self.parent >= 0, self.external_id[np.maximum(self.parent, 0)], None)
        return pd.DataFrame(
            {
                "external_id": self.external_id,
                "name": self.name,
                "parent_external_id": parent_id,
                "kind": self.kind,
            }
        )


def tree_shape(n_units: int) -> tuple[int, int, int]:
    """Numbers of regions, areas and leaf units (contact centre included) for ``n_units``."""
    if n_units < MIN_UNITS:
        raise ValueError(
            f"need at least {MIN_UNITS} units (root, region, area, store, contact centre), got {n_units}"
        )
    regions = max(1, round(n_units ** (1 / 3) / 1.4))
    areas = max(2 * regions, round(n_units / 10))
    while 1 + regions + areas + 2 > n_units:
        if areas > regions:
            areas -= 1
        else:
            regions -= 1
            areas = regions
    return regions, areas, n_units - 1 - regions - areas


def _area_towns(regions: list[str | None], draws: np.ndarray) -> list[str]:
    """One town per area, from its region's towns; a town a second area of the region must
    share is split by district ("Cardiff North"), never borrowed from another region."""
    every_town = list(dict.fromkeys([*TOWNS, *(t for ts in REGION_TOWNS.values() for t in ts)]))
    taken: dict[str, int] = {}
    towns = []
    for region, draw in zip(regions, draws, strict=True):
        own = list(REGION_TOWNS.get(region, ())) if region else every_town
        free = [t for t in own if t not in taken]
        town = (free or own)[int(draw) % len(free or own)]
        taken[town] = taken.get(town, 0) + 1
        repeat = taken[town] - 1
        if repeat:
            district = DISTRICTS[(repeat - 1) % len(DISTRICTS)]
            rounds = (repeat - 1) // len(DISTRICTS)
            town = f"{town} {district}" + (f" {rounds + 1}" if rounds else "")
        towns.append(town)
    return towns


def _outlet_names(
    area_towns: list[str], area_of_outlet: np.ndarray, kinds: np.ndarray, draws: np.ndarray
) -> list[str]:
    """Stores and teams in their area's town; stores of one area take different suffixes."""
    taken: dict[int, set[str]] = {}
    names = []
    for area, kind, draw in zip(area_of_outlet, kinds, draws, strict=True):
        town = area_towns[int(area)]
        if kind != "store":
            names.append(f"{town} service team")
            continue
        used = taken.setdefault(int(area), set())
        free = [s for s in STORE_SUFFIXES if s not in used] or list(STORE_SUFFIXES)
        suffix = free[int(draw) % len(free)]
        used.add(suffix)
        names.append(f"{town} {suffix}")
    return names


def build_units(
    n_units: int, rng: np.random.Generator, seed: int | None, name: str | None = None
) -> Units:
    """Build the unit tree: root, regions, areas, stores/teams, and one contact centre.

    The root is called ``name`` (default: a company name drawn from the seed).
    """
    n_regions, n_areas, n_leaves = tree_shape(n_units)
    n_outlets = n_leaves - 1  # the contact centre is the remaining leaf
    width = max(4, len(str(n_units)))
    region_of_area = np.arange(n_areas) % n_regions
    area_of_outlet = np.sort(np.arange(n_outlets) % n_areas)
    outlet_kind = np.where(rng.random(n_outlets) < 0.8, "store", "team")
    outlet_kind[0] = "store"
    region_names = [REGIONS[i] if i < len(REGIONS) else None for i in range(n_regions)]
    # The same draws as ever (so every later number is unchanged for a seed); only how they
    # become names differs: an area takes a town of its own region, its outlets are in it.
    area_draw = rng.integers(0, len(TOWNS), n_areas)
    rng.integers(0, len(TOWNS), n_outlets)  # formerly each outlet's town
    suffix_draw = rng.integers(0, len(STORE_SUFFIXES), n_outlets)
    area_towns = _area_towns([region_names[r] for r in region_of_area], area_draw)

    names = [name or organisation_name(seed)]
    names += [f"{r} region" if r else f"Region {i + 1}" for i, r in enumerate(region_names)]
    names += [f"{town} area" for town in area_towns]
    names += _outlet_names(area_towns, area_of_outlet, outlet_kind, suffix_draw)
    names.append("Customer contact centre")

    first_area = 1 + n_regions
    parent = np.concatenate(
        [
            [-1],
            np.zeros(n_regions, dtype=int),
            1 + region_of_area,
            first_area + area_of_outlet,
            [0],
        ]
    ).astype(int)
    kind = np.concatenate(
        [
            ["organisation"],
            ["region"] * n_regions,
            ["area"] * n_areas,
            outlet_kind,
            ["contact_centre"],
        ]
    ).astype(object)
    depth = np.concatenate(
        [[0], np.ones(n_regions), np.full(n_areas, 2), np.full(n_outlets, 3), [1]]
    ).astype(int)
    return Units(
        external_id=np.array([f"U{i:0{width}d}" for i in range(n_units)], dtype=object),
        name=np.array(unique_labels(names), dtype=object),
        parent=parent,
        kind=kind,
        depth=depth,
    )


@dataclass(frozen=True)
class Positions:
    """Jobs in the organisation (index = position number)."""

    unit: np.ndarray
    job_family: np.ndarray
    job_title: np.ndarray
    is_manager: np.ndarray

    @property
    def n(self) -> int:
        return self.unit.size


def _allocate_headcount(units: Units, n_employees: int, rng: np.random.Generator) -> np.ndarray:
    """Headcount per unit: one manager per non-leaf unit, HQ support, a contact centre, outlets."""
    headcount = np.zeros(units.n, dtype=int)
    headcount[np.isin(units.kind, ("organisation", "region", "area"))] = 1
    headcount[units.kind == "organisation"] += max(1, round(0.01 * n_employees))
    headcount[units.kind == "contact_centre"] = max(4, round(0.03 * n_employees))
    outlets = np.flatnonzero(np.isin(units.kind, LEAF_KINDS))
    remaining = n_employees - headcount.sum()
    if remaining < 2 * outlets.size:
        minimum = headcount.sum() + 2 * outlets.size
        raise ValueError(
            f"{n_employees} employees are too few for {units.n} units: need at least {minimum} "
            "(a manager per region/area, head office, a contact centre and 2 per store/team)"
        )
    size_weights = rng.lognormal(0.0, 0.4, outlets.size)
    extra = rng.multinomial(remaining - 2 * outlets.size, size_weights / size_weights.sum())
    headcount[outlets] = 2 + extra
    return headcount


def build_positions(units: Units, n_employees: int, rng: np.random.Generator) -> Positions:
    """Create ``n_employees`` positions with job families, titles and one manager per unit.

    Non-leaf units and the contact centre always have a manager; a store or team has one
    when it has at least three staff (smaller ones are led by their area manager).
    """
    headcount = _allocate_headcount(units, n_employees, rng)
    unit = np.repeat(np.arange(units.n), headcount)
    first_in_unit = np.r_[True, unit[1:] != unit[:-1]]
    kind = units.kind[unit]
    has_manager = ~np.isin(units.kind, LEAF_KINDS) | (headcount >= 3)
    is_manager = first_in_unit & has_manager[unit]

    draw = rng.random(unit.size)
    family = np.where(draw < 0.80, "frontline", np.where(draw < 0.94, "specialist", "support"))
    family = family.astype(object)
    family[kind == "contact_centre"] = np.where(
        draw[kind == "contact_centre"] < 0.86,
        "frontline",
        np.where(draw[kind == "contact_centre"] < 0.96, "specialist", "support"),
    )
    # every outlet keeps at least one frontline position to own customers
    first_staff = np.r_[False, first_in_unit[:-1]] | (first_in_unit & ~has_manager[unit])
    family[first_staff & np.isin(kind, LEAF_KINDS)] = "frontline"
    family[np.isin(kind, ("organisation", "region", "area"))] = "support"
    family[is_manager] = "manager"

    titles = np.empty(unit.size, dtype=object)
    pick = rng.random(unit.size)
    for (unit_kind, job_family), options in JOB_TITLES.items():
        mask = (kind == unit_kind) & (family == job_family)
        if mask.any():
            titles[mask] = np.array(options, dtype=object)[(pick[mask] * len(options)).astype(int)]
    return Positions(unit=unit, job_family=family, job_title=titles, is_manager=is_manager)
