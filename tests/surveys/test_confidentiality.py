"""A confidential response cannot be joined to the person who gave it: checked on the schema."""

import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.db import models

from servicechain.org.models import AuditEvent, Customer, Employee, Interaction
from servicechain.surveys import services
from servicechain.surveys.models import Draft, Invitation, Response
from tests.surveys.helpers import PULSE_ANSWERS, build_org, open_wave, send_links

PERSONAL = {Employee, get_user_model(), Invitation, Customer, Interaction}


def related_models(model) -> set:
    return {f.related_model for f in model._meta.get_fields() if f.is_relation}


def test_response_has_no_relation_to_a_person_or_an_invitation():
    assert not related_models(Response) & PERSONAL
    assert {f.related_model for f in Response._meta.get_fields() if f.is_relation} == {
        f.related_model for f in Response._meta.get_fields() if f.name in ("wave", "unit")
    }


def test_nothing_points_at_a_response():
    reverse = [f for f in Response._meta.get_fields() if f.auto_created and not f.concrete]
    assert reverse == []


def test_response_keeps_no_time_and_no_sequential_id():
    fields = Response._meta.concrete_fields
    assert not [f.name for f in fields if isinstance(f, models.DateField | models.TimeField)]
    assert isinstance(Response._meta.pk, models.UUIDField)


def test_response_columns_are_only_answers_and_frozen_attributes():
    columns = {f.name for f in Response._meta.concrete_fields}
    assert columns == {
        "id",
        "wave",
        "submission_key",
        "external_id",
        "unit",
        "tenure_band",
        "job_family",
        "answers",
        "source",
    }


def test_invitation_stores_neither_a_response_nor_a_per_person_time():
    assert Response not in related_models(Invitation)
    times = {
        f.name
        for f in Invitation._meta.concrete_fields
        if isinstance(f, models.DateField | models.TimeField)
    }
    assert times == {"sent_at", "last_reminded_at"}  # times of mailings, shared by everyone in them


def test_draft_is_not_linked_to_the_invitation():
    assert not related_models(Draft) & PERSONAL


@pytest.mark.django_db
def test_submitted_response_cannot_be_matched_to_its_invitation_from_the_database():
    org, units = build_org()
    wave = open_wave(org, units["north_a"])
    links = send_links(wave)
    services.response_submit(token=links[2], answers=PULSE_ANSWERS)
    response = Response.objects.get(wave=wave)
    invitation_values = set()
    for row in Invitation.objects.filter(wave=wave).values():
        invitation_values |= {str(v) for v in row.values() if v is not None}
    derivable = invitation_values | {
        hashlib.sha256(v.encode()).hexdigest() for v in invitation_values
    }
    assert response.submission_key not in derivable
    assert str(response.pk) not in invitation_values
    # and the act of answering leaves no audit trail with a person or a time
    assert not AuditEvent.objects.filter(action__startswith="survey.response").exists()
