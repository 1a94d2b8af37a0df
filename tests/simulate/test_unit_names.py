"""Unit names read like a real organisation: the root is the organisation, an area is a town
of its region, and its shops and teams are in that town."""

import numpy as np
import pytest

from servicechain.simulate import simulate_organisation
from servicechain.simulate.names import REGION_TOWNS
from servicechain.simulate.structure import build_units


@pytest.mark.parametrize("n_units", [20, 300, 3000])
def test_outlets_are_in_their_areas_town_and_areas_in_their_region(n_units):
    units = build_units(n_units, np.random.default_rng(7), seed=7)
    name = dict(enumerate(units.name))
    for index, kind in enumerate(units.kind):
        if kind in ("store", "team"):
            area = units.parent[index]
            town = name[area].removesuffix(" area")
            assert units.kind[area] == "area"
            assert name[index].startswith(f"{town} "), (name[index], name[area])
        if kind == "area":
            region = name[units.parent[index]].removesuffix(" region")
            town = name[index].removesuffix(" area")
            if region in REGION_TOWNS:
                assert any(town.startswith(t) for t in REGION_TOWNS[region]), (town, region)


def test_no_two_areas_share_a_town_while_towns_remain():
    units = build_units(300, np.random.default_rng(0), seed=0)
    areas = [n for n, k in zip(units.name, units.kind, strict=True) if k == "area"]
    assert len(set(areas)) == len(areas)
    assert not any(a[-1].isdigit() for a in areas), "no 'Leeds area 2'"


def test_the_root_unit_carries_the_organisations_name_when_given():
    named = simulate_organisation("small", seed=3, name="Northwind Retail & Care")
    unnamed = simulate_organisation("small", seed=3)
    assert named.units["name"].iloc[0] == "Northwind Retail & Care"
    assert unnamed.units["name"].iloc[0] != "Northwind Retail & Care"
    # Names only: every number is the same with or without the name.
    assert named.ground_truth == unnamed.ground_truth
    for table in ("interactions", "transactions", "employee_responses"):
        assert named.__getattribute__(table).equals(unnamed.__getattribute__(table)), table
