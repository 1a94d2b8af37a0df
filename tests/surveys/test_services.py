"""Instruments, waves, invitations and answering: the rules the services enforce."""

import datetime as dt
import hashlib
from collections import Counter

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from servicechain.org.models import AuditEvent
from servicechain.surveys import services, tokens
from servicechain.surveys.bank import load_bank
from servicechain.surveys.models import Draft, InstrumentItem, Invitation, Response, Wave
from servicechain.surveys.questions import AnswerError, questions_of
from tests.factories import EmployeeFactory, make_unit
from tests.surveys.helpers import (
    PULSE_ANSWERS,
    add_responses,
    build_org,
    open_wave,
    pulse_instrument,
    send_links,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_org()


# --------------------------------------------------------------------------- instruments


def test_instrument_from_a_template_asks_the_bank_items_in_order(world):
    org, _ = world
    instrument = pulse_instrument(org)
    codes = [q.code for q in questions_of(instrument)]
    assert codes == load_bank().instruments["engagement_pulse"]


def test_custom_item_is_asked_after_the_bank_items_and_scored_on_its_own_scale(world):
    org, _ = world
    instrument = pulse_instrument(org)
    services.item_create(
        organization=org,
        code="SAFE1",
        scale="safety",
        text="I feel safe at work.",
        type="likert5",
        population="employee",
    )
    services.instrument_item_add(instrument=instrument, code="SAFE1", required=True)
    instrument.refresh_from_db()
    last = questions_of(instrument)[-1]
    assert (last.code, last.item.scale, last.required) == ("SAFE1", "safety", True)


def test_custom_item_cannot_take_a_bank_code(world):
    org, _ = world
    with pytest.raises(ValidationError, match="item of the bank"):
        services.item_create(
            organization=org,
            code="ENG1",
            scale="x",
            text="t",
            type="likert5",
            population="employee",
        )


def test_customer_item_cannot_join_an_employee_instrument(world):
    org, _ = world
    instrument = services.instrument_create(organization=org, name="Empty", population="employee")
    with pytest.raises(ValidationError, match="asked of customers"):
        services.instrument_item_add(instrument=instrument, code="csat")


def test_questions_can_be_reordered_and_removed_before_any_wave_opens(world):
    org, _ = world
    instrument = pulse_instrument(org)
    services.instrument_item_move(instrument=instrument, code="ENPS1", position=1)
    services.instrument_item_remove(instrument=instrument, code="COMMENT")
    instrument.refresh_from_db()
    codes = [q.code for q in questions_of(instrument)]
    assert codes[0] == "ENPS1" and "COMMENT" not in codes
    assert list(instrument.entries.values_list("order", flat=True)) == list(
        range(1, len(codes) + 1)
    )


def test_instrument_is_fixed_once_a_wave_using_it_has_opened(world):
    org, units = world
    wave = open_wave(org, units["root"])
    with pytest.raises(ValidationError, match="questions are fixed"):
        services.instrument_item_add(instrument=wave.instrument, code="CAR1")
    assert not InstrumentItem.objects.filter(instrument=wave.instrument, bank_code="CAR1").exists()


# --------------------------------------------------------------------------- waves


def test_census_cannot_sample(world):
    org, units = world
    with pytest.raises(ValidationError, match="census invites everyone"):
        open_wave(org, units["root"], sample_fraction=0.5)


def test_wave_must_close_after_it_opens(world):
    org, units = world
    now = timezone.now()
    with pytest.raises(ValidationError, match="close after it opens"):
        services.wave_create(
            organization=org,
            instrument=pulse_instrument(org),
            name="Backwards",
            audience_unit=units["root"],
            opens_at=now,
            closes_at=now - dt.timedelta(days=1),
        )


def test_next_wave_of_a_quarterly_pulse_opens_three_months_later(world):
    org, units = world
    wave = open_wave(
        org,
        units["root"],
        kind=Wave.Kind.PULSE,
        sample_fraction=0.5,
        cadence="quarterly",
        name="Pulse 2026-01",
    )
    following = services.wave_create_next(wave=wave)
    assert following.status == Wave.Status.DRAFT and following.previous == wave
    assert following.instrument == wave.instrument and following.sample_fraction == 0.5
    assert following.closes_at - following.opens_at == wave.closes_at - wave.opens_at
    months = (
        (following.opens_at.year - wave.opens_at.year) * 12
        + following.opens_at.month
        - wave.opens_at.month
    )
    assert months == 3 and following.name == f"Pulse {following.opens_at:%Y-%m}"


def test_one_off_wave_has_no_next_wave(world):
    org, units = world
    with pytest.raises(ValidationError, match="one-off"):
        services.wave_create_next(wave=open_wave(org, units["root"]))


def test_opening_and_closing_are_audited(world):
    org, units = world
    wave = open_wave(org, units["root"])
    services.wave_close(wave=wave)
    actions = set(AuditEvent.objects.filter(organization=org).values_list("action", flat=True))
    assert {"survey.wave.open", "survey.wave.close"} <= actions


def test_closing_deletes_unsent_drafts(world):
    org, units = world
    wave = open_wave(org, units["root"])
    token = send_links(wave)[0]
    services.draft_save(token=token, answers={"ENG1": 2})
    services.wave_close(wave=wave)
    assert not Draft.objects.filter(wave=wave).exists()


# --------------------------------------------------------------------------- invitations


def test_census_invites_everyone_in_the_audience_subtree_and_emails_each_a_link(world):
    org, units = world
    wave = open_wave(org, units["north"])
    tokens_sent = send_links(wave)
    assert len(tokens_sent) == 9 and len(set(tokens_sent)) == 9
    assert set(Invitation.objects.filter(wave=wave).values_list("unit__name", flat=True)) == {
        "North A",
        "North B",
    }
    assert all(m.subject == wave.name for m in mail.outbox)


def test_only_hashes_of_tokens_are_stored(world):
    org, units = world
    wave = open_wave(org, units["root"])
    sent = send_links(wave)
    stored = set(Invitation.objects.filter(wave=wave).values_list("token_hash", flat=True))
    assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in sent}
    assert not any(t in h for t in sent for h in stored)


def test_pulse_samples_the_fraction_in_every_unit(world):
    org, units = world
    wave = open_wave(org, units["root"], kind=Wave.Kind.PULSE, sample_fraction=0.5, name="Pulse")
    send_links(wave)
    by_unit = {
        name: Invitation.objects.filter(wave=wave, unit__name=name).count()
        for name in ("North A", "North B", "South A")
    }
    assert sum(by_unit.values()) == 8  # round(0.5 * 16)
    assert by_unit["North A"] == 3 and by_unit["South A"] in (3, 4) and by_unit["North B"] in (1, 2)


def test_sending_again_invites_only_new_starters(world):
    org, units = world
    wave = open_wave(org, units["root"])
    assert len(send_links(wave)) == 16
    newcomer = EmployeeFactory(unit=units["south_a"], email="new@acme.example")
    again = send_links(wave)
    assert len(again) == 1 and mail.outbox[0].to == [newcomer.email]


def test_invitation_freezes_unit_tenure_band_and_job_family(world):
    org, units = world
    cohort = [
        EmployeeFactory(
            unit=units["south_a"],
            email=f"c{i}@acme.example",
            hire_date=dt.date.today() - dt.timedelta(days=400),
        )
        for i in range(5)  # a class of min-n people keeps its attributes
    ]
    wave = open_wave(org, units["root"])
    send_links(wave)
    invitation = Invitation.objects.get(wave=wave, employee=cohort[0])
    assert (invitation.unit, invitation.tenure_band, invitation.job_family) == (
        units["south_a"],
        "1-2y",
        "frontline",
    )


def test_a_class_too_small_to_show_is_stored_blank_with_enough_company(world):
    org, units = world  # South A: 7 frontline people hired 2022 ("2-5y")
    newcomer = EmployeeFactory(
        unit=units["south_a"], email="new@acme.example", hire_date=dt.date.today()
    )
    wave = open_wave(org, units["root"])
    send_links(wave)
    bands = Counter(
        Invitation.objects.filter(wave=wave, unit=units["south_a"]).values_list(
            "tenure_band", flat=True
        )
    )
    assert Invitation.objects.get(wave=wave, employee=newcomer).tenure_band == ""
    # The lone newcomer cannot hide alone among the blanks: blanked people number 0 or >= 5.
    assert bands[""] == 0 or bands[""] >= org.min_group_size
    assert all(n >= org.min_group_size for band, n in bands.items() if band)


def test_a_newcomer_joining_later_blanks_the_responses_already_given_in_that_unit(world):
    org, units = world
    wave = open_wave(org, units["root"])
    send_links(wave)  # South A: 7 people "2-5y", kept
    add_responses(wave, units["south_a"], 3, tenure_band="2-5y")
    EmployeeFactory(unit=units["south_a"], email="late@acme.example", hire_date=dt.date.today())

    send_links(wave)  # invites the newcomer: a class of one, and its complement, go blank

    south = Response.objects.filter(wave=wave, unit=units["south_a"])
    assert south.count() == 3 and not south.exclude(tenure_band="").exists()


def test_band_and_family_are_coarsened_together_when_their_pairs_are_rare(world):
    # A new store of ten: bands and families each split 5/5 (pass 1 keeps them all), but
    # one newcomer is a manager and one veteran is frontline: pairs of 4, 1, 1 and 4.
    org, units = world
    store = make_unit(org, "East A", units["root"], kind="store", external_id="acme-ea")
    today = dt.date.today()
    people = {
        ("<1y", "frontline"): 4,
        ("<1y", "manager"): 1,
        ("5y+", "frontline"): 1,
        ("5y+", "manager"): 4,
    }
    for (band, family), n in people.items():
        hired = today - dt.timedelta(days=100 if band == "<1y" else 4000)
        EmployeeFactory.create_batch(n, unit=store, hire_date=hired, job_family=family)
    for employee in store.employees.all():
        employee.email = f"{employee.external_id.lower()}@acme.example"
        employee.save(update_fields=["email"])
    wave = open_wave(org, units["root"])
    add_responses(wave, store, 2, tenure_band="<1y", job_family="manager")  # answered already
    send_links(wave)  # draws the invitations and coarsens them
    blanked = services.attributes_coarsen(wave=wave)

    invited = Counter(
        Invitation.objects.filter(wave=wave, unit=store).values_list("tenure_band", "job_family")
    )
    blank = invited.pop(("", ""), 0)
    assert all(n >= org.min_group_size for n in invited.values()), invited
    assert blank == 0 or blank >= org.min_group_size
    # Nobody is left alone in a pair: with pairs of 4 and 1, everyone in the store is blank,
    # and so are the answers already given (their anonymity set is the invitees' class).
    assert blank == 10
    answered = Response.objects.filter(wave=wave, unit=store)
    assert set(answered.values_list("tenure_band", "job_family")) == {("", "")}
    assert blanked["tenure_band+job_family"] == 0  # the second call finds nothing left


def test_pairs_large_enough_keep_both_attributes(world):
    org, units = world
    store = make_unit(org, "East B", units["root"], kind="store", external_id="acme-eb")
    for family in ("frontline", "manager"):
        EmployeeFactory.create_batch(5, unit=store, job_family=family)
    for employee in store.employees.all():
        employee.email = f"{employee.external_id.lower()}@acme.example"
        employee.save(update_fields=["email"])
    wave = open_wave(org, units["root"])
    send_links(wave)
    pairs = Counter(
        Invitation.objects.filter(wave=wave, unit=store).values_list("tenure_band", "job_family")
    )
    assert pairs == {("2-5y", "frontline"): 5, ("2-5y", "manager"): 5}


def test_invitations_go_out_only_while_the_wave_is_open(world):
    org, units = world
    wave = open_wave(org, units["root"])
    services.wave_close(wave=wave)
    with pytest.raises(ValidationError, match="only while a wave is open"):
        services.invitation_send(wave=wave)


def test_reminder_reaches_only_non_respondents_with_a_fresh_link(world):
    org, units = world
    wave = open_wave(org, units["north_a"])
    first = send_links(wave)
    services.response_submit(token=first[0], answers=PULSE_ANSWERS)
    mail.outbox.clear()
    later = timezone.now() + dt.timedelta(days=4)
    report = services.invitation_remind(wave=wave, now=later)
    assert report.emailed == 5 and len(mail.outbox) == 5
    fresh = [services_link(m.body) for m in mail.outbox]
    assert not set(fresh) & set(first)
    with pytest.raises(services.UnknownLink):
        services.link_resolve(first[1])  # the reminder replaced the earlier link
    assert services.link_resolve(fresh[0]).responded is False


def test_reminder_waits_for_the_reminder_interval(world):
    org, units = world
    wave = open_wave(org, units["north_a"])
    send_links(wave)
    assert services.invitation_remind(wave=wave).emailed == 0


def services_link(body):
    from tests.surveys.helpers import LINK

    return LINK.search(body).group(1)


# --------------------------------------------------------------------------- answering


def test_submit_stores_answers_with_frozen_attributes_only(world):
    org, units = world
    wave = open_wave(org, units["north_a"])
    token = send_links(wave)[0]
    response = services.response_submit(token=token, answers={**PULSE_ANSWERS, "ENG1": "5"})
    assert response.answers["ENG1"] == 5 and response.answers["COMMENT"].startswith("More staff")
    assert response.unit == units["north_a"] and response.job_family == "frontline"
    assert response.submission_key == tokens.submission_key(token)
    assert Invitation.objects.filter(wave=wave, responded=True).count() == 1


def test_second_submit_with_the_same_link_is_refused_and_stores_nothing(world):
    org, units = world
    wave = open_wave(org, units["north_a"])
    token = send_links(wave)[0]
    services.response_submit(token=token, answers=PULSE_ANSWERS)
    with pytest.raises(services.AlreadySubmitted):
        services.response_submit(token=token, answers=PULSE_ANSWERS)
    assert Response.objects.filter(wave=wave).count() == 1


def test_on_postgresql_the_submit_path_runs_as_prepared_statements(world):
    """Django turns psycopg's prepared statements off by default; the submit path's two
    statements must really be prepared once and then reused, on Django's own connection."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are a PostgreSQL matter")
    org, units = world
    wave = open_wave(org, units["north_a"])
    issued = send_links(wave)[:3]
    for token in issued:
        services.response_submit(token=token, answers=PULSE_ANSWERS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name <> ''")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("FROM surveys_invitation i" in sql for sql in prepared)
    assert any("UPDATE surveys_invitation SET responded" in sql for sql in prepared)
    assert Response.objects.filter(wave=wave).count() == 3


def test_database_refuses_a_second_response_for_the_same_link_even_past_the_flag(world):
    org, units = world
    wave = open_wave(org, units["north_a"])
    token = send_links(wave)[0]
    services.response_submit(token=token, answers=PULSE_ANSWERS)
    Invitation.objects.filter(wave=wave).update(responded=False)  # as if the flag were lost
    with pytest.raises(services.AlreadySubmitted):
        services.response_submit(token=token, answers=PULSE_ANSWERS)
    assert Response.objects.filter(wave=wave).count() == 1
    assert not Invitation.objects.filter(wave=wave, responded=True).exists()  # rolled back


def test_out_of_range_answer_names_the_field_and_stores_nothing(world):
    org, units = world
    wave = open_wave(org, units["north_a"])
    token = send_links(wave)[0]
    with pytest.raises(AnswerError) as caught:
        services.response_submit(token=token, answers={**PULSE_ANSWERS, "ENG2": 6, "ENPS1": -1})
    assert set(caught.value.errors) == {"ENG2", "ENPS1"}
    assert "from 1 to 5" in caught.value.errors["ENG2"]
    assert not Response.objects.exists() and not Invitation.objects.filter(responded=True).exists()


@pytest.mark.parametrize("value", [True, 3.5, "four", [4], {"x": 1}])
def test_answers_that_are_not_whole_numbers_are_refused(world, value):
    org, units = world
    wave = open_wave(org, units["north_a"])
    token = send_links(wave)[0]
    with pytest.raises(AnswerError, match="ENG1"):
        services.response_submit(token=token, answers={"ENG1": value})


def test_unknown_question_code_is_refused(world):
    org, units = world
    wave = open_wave(org, units["north_a"])
    token = send_links(wave)[0]
    with pytest.raises(AnswerError) as caught:
        services.response_submit(token=token, answers={"PAY1": 3})
    assert caught.value.errors == {"PAY1": "is not a question of this survey"}


def test_required_question_must_be_answered(world):
    org, units = world
    instrument = pulse_instrument(org)
    InstrumentItem.objects.filter(instrument=instrument, bank_code="ENG1").update(required=True)
    instrument.save()
    wave = open_wave(org, units["north_a"], instrument=instrument)
    token = send_links(wave)[0]
    with pytest.raises(AnswerError) as caught:
        services.response_submit(token=token, answers={"ENG2": 3})
    assert caught.value.errors == {"ENG1": "is required"}


def test_closed_wave_refuses_answers(world):
    org, units = world
    wave = open_wave(org, units["north_a"])
    token = send_links(wave)[0]
    services.wave_close(wave=wave)
    with pytest.raises(services.WaveClosed) as caught:
        services.response_submit(token=token, answers=PULSE_ANSWERS)
    assert caught.value.status == 410


def test_wave_past_its_closing_time_refuses_answers_before_anyone_closes_it(world):
    org, units = world
    wave = open_wave(org, units["north_a"])
    token = send_links(wave)[0]
    with pytest.raises(services.WaveClosed):
        services.response_submit(
            token=token, answers=PULSE_ANSWERS, now=wave.closes_at + dt.timedelta(seconds=1)
        )


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "../../etc/passwd", "a" * 500])
def test_unknown_or_malformed_tokens_are_all_the_same_unknown_link(token):
    with pytest.raises(services.UnknownLink) as caught:
        services.response_submit(token=token, answers={})
    assert caught.value.status == 404
    assert str(caught.value) == str(services.UnknownLink())


def test_draft_keeps_partial_answers_until_submit(world):
    org, units = world
    wave = open_wave(org, units["north_a"])
    token = send_links(wave)[0]
    services.draft_save(token=token, answers={"ENG1": "2", "COMMENT": "half way"})
    assert services.draft_answers(token) == {"ENG1": 2, "COMMENT": "half way"}
    services.response_submit(token=token, answers=PULSE_ANSWERS)
    assert services.draft_answers(token) == {}
    assert not Draft.objects.exists()


def test_draft_cannot_be_read_with_another_link(world):
    org, units = world
    wave = open_wave(org, units["north_a"])
    first, second = send_links(wave)[:2]
    services.draft_save(token=first, answers={"ENG1": 2})
    assert services.draft_answers(second) == {}


def test_closing_due_waves_closes_only_those_past_their_closing_time(world):
    org, units = world
    due = open_wave(org, units["north_a"], name="Due")
    running = open_wave(org, units["north_a"], name="Running")
    Wave.objects.filter(pk=due.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    closed = services.waves_close_due()
    assert [w.pk for w in closed] == [due.pk]
    running.refresh_from_db()
    assert running.status == Wave.Status.OPEN


def test_signed_in_employee_gets_a_fresh_link_to_their_own_invitation(world):
    org, units = world
    wave = open_wave(org, units["north_a"])
    send_links(wave)
    person = Invitation.objects.filter(wave=wave).first().employee
    token = services.invitation_issue_link(wave=wave, employee=person)
    services.response_submit(token=token, answers=PULSE_ANSWERS)
    with pytest.raises(services.AlreadySubmitted):
        services.invitation_issue_link(wave=wave, employee=person)


def test_stratified_sample_is_proportionate_and_exact_in_total():
    import numpy as np

    groups = ["a"] * 10 + ["b"] * 5 + ["c"] * 1
    chosen = services.stratified_sample(groups, 0.5, np.random.default_rng(3))
    picked = [groups[i] for i in chosen]
    assert len(chosen) == 8 and len(set(chosen)) == 8
    assert picked.count("a") == 5 and picked.count("b") + picked.count("c") == 3


def test_customer_wave_invites_once_per_customer_and_links_the_answer_to_the_interaction(world):
    from servicechain.surveys.models import CustomerResponse
    from tests.factories import CustomerFactory, InteractionFactory

    org, units = world
    regular = CustomerFactory(organization=org, email="regular@example.com")
    served_by = EmployeeFactory(unit=units["south_a"])
    InteractionFactory(unit=units["north_a"], customer=regular)
    latest = InteractionFactory(unit=units["south_a"], customer=regular, employee=served_by)
    InteractionFactory(unit=units["south_a"], customer=CustomerFactory(organization=org, email=""))
    instrument = services.instrument_create(
        organization=org, name="CX", population="customer", template="customer_transactional"
    )
    wave = open_wave(org, units["root"], instrument=instrument, kind=Wave.Kind.CUSTOMER, name="CX")
    report = services.invitation_send(wave=wave)
    assert (report.invited, report.emailed, report.without_email) == (2, 1, 1)
    token = services_link(mail.outbox[0].body)
    stored = services.response_submit(token=token, answers={"csat": 5, "nps": 10, "fcr": 1})
    stored = CustomerResponse.objects.get(pk=stored.pk)
    assert stored.interaction == latest and stored.unit == units["south_a"]
    assert stored.interaction.employee == served_by  # through the interaction: who served
    with pytest.raises(services.AlreadySubmitted):
        services.response_submit(token=token, answers={"csat": 4})
    assert CustomerResponse.objects.filter(wave=wave).count() == 1


def test_sending_a_pulse_again_does_not_draw_from_those_left_out(world):
    org, units = world
    wave = open_wave(org, units["root"], kind=Wave.Kind.PULSE, sample_fraction=0.5, name="Pulse")
    assert len(send_links(wave)) == 8
    assert send_links(wave) == []  # the 8 left out stay out
    EmployeeFactory(
        unit=units["north_a"], email="starter@acme.example", hire_date=timezone.localdate()
    )
    EmployeeFactory(
        unit=units["north_a"], email="starter2@acme.example", hire_date=timezone.localdate()
    )
    assert len(send_links(wave)) == 1  # half of the two new starters
