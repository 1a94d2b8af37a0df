"""The data migration that coarsens (band, family) pairs of waves drawn before the rule."""

import importlib
from collections import Counter

import pytest
from django.apps import apps

from servicechain.surveys import tokens
from servicechain.surveys.models import Invitation, Response
from tests.factories import EmployeeFactory
from tests.surveys.helpers import add_responses, build_org, open_wave

pytestmark = pytest.mark.django_db

migration = importlib.import_module("servicechain.surveys.migrations.0005_coarsen_attribute_pairs")


def test_old_waves_lose_both_attributes_of_rare_pairs_and_keep_common_ones():
    org, units = build_org(team_sizes=(0, 0, 0))
    store = units["north_a"]
    # Drawn by an older release: each attribute 6/6, pairs 5, 1, 1, 5.
    people = {("<1y", "frontline"): 5, ("<1y", "manager"): 1}
    people |= {("5y+", "frontline"): 1, ("5y+", "manager"): 5}
    wave = open_wave(org, store)
    invitations = []
    for (band, family), n in people.items():
        for employee in EmployeeFactory.create_batch(n, unit=store, job_family=family):
            invitations.append(
                Invitation(
                    wave=wave,
                    employee=employee,
                    unit=store,
                    tenure_band=band,
                    job_family=family,
                    token_hash=tokens.lookup_hash(tokens.new_token()),
                )
            )
    Invitation.objects.bulk_create(invitations)
    add_responses(wave, store, 1, tenure_band="<1y", job_family="manager")
    add_responses(wave, store, 3, tenure_band="5y+", job_family="manager")

    migration.coarsen_pairs(apps, None)

    pairs = Counter(Invitation.objects.filter(wave=wave).values_list("tenure_band", "job_family"))
    # The two lone people and, so that they are not alone among the blanks, the smallest
    # kept pair as well: a blank pool of 7, and one pair of 5 kept.
    assert pairs[("", "")] == 7 and sum(pairs.values()) == 12
    assert [n for pair, n in pairs.items() if pair != ("", "")] == [5]
    answered = Counter(Response.objects.filter(wave=wave).values_list("tenure_band", "job_family"))
    assert answered[("<1y", "manager")] == 0 and sum(answered.values()) == 4
