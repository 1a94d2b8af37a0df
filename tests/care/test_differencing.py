"""Differencing over time on care figures: one more mood check-in (or incident, or one person
erased) moves nothing anyone can read.

The attack: read *Care figures* (page and API), let one person check in, read again. When the
month in progress was shown live, ``n1·m1 − n0·m0`` was that person's mood — and with the mean
taken over check-ins rather than people, a second check-in by someone already counted moved
the mean without moving the count. Months are now published once, after they close, and never
change afterwards (docs/care.md, "Care figures: published once a month has closed").
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from django.test import Client
from django.utils import timezone

from servicechain.care import selectors, services
from servicechain.care.models import Incident, MoodCheckIn
from servicechain.org import services as org_services
from servicechain.surveys.models import CustomerResponse
from tests.care.helpers import employee_with_login, world
from tests.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db
# Per-request noise that is not a reading of figures.
NOISE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|"X-CSRFToken": "[^"]*"')


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def last_month_day() -> dt.datetime:
    first = timezone.now().replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    return first - dt.timedelta(days=10)


def last_quarter_day() -> dt.datetime:
    quarter = pd.Timestamp(timezone.now().date()).to_period("Q") - 1
    return timezone.make_aware(quarter.start_time + pd.Timedelta(days=10), dt.UTC)


def busy_store():
    """Seven people of the store checked in last month and this month (moods 2–4)."""
    w = world()
    people = [w.clerk, w.colleague]
    for n in range(5):
        user, _ = employee_with_login(w.organization, w.store, f"acme-mood{n}")
        people.append(user)
    for n, user in enumerate(people):
        services.mood_record(scope=w.scope(user), mood=2 + n % 3)
        old = services.mood_record(scope=w.scope(user), mood=2 + n % 3)
        MoodCheckIn.objects.filter(pk=old.pk).update(created_at=last_month_day())
    return w, people


def readings(w) -> dict:
    org = w.organization.slug
    out = {}
    for user in (w.admin, w.hr, w.region_manager, w.store_manager):
        client = client_for(user)
        for url in (f"/api/orgs/{org}/care/figures", f"/o/{org}/care/figures/"):
            answer = client.get(url)
            assert answer.status_code == 200, (user.username, url)
            body = NOISE.sub("", answer.content.decode())
            # a page's header carries the reader's own notifications (a manager is told of
            # an incident in their unit): what is compared is the page's content
            out[(user.username, url)] = body[body.find("<main") :] if "<main" in body else body
    return out


def test_the_closed_month_is_shown_to_hr():
    w, _ = busy_store()
    services.figures_publish(organization=w.organization)
    figures = selectors.hr_by_unit_month(w.scope(w.hr))
    last = last_month_day().strftime("%Y-%m")
    assert figures["months"][-1] == last
    rows = {row["unit"].pk: row for row in figures["mood"][last]}
    assert not rows[w.store.pk]["suppressed"] and rows[w.store.pk]["people"] == 7


def test_one_more_check_in_moves_no_visible_figure_for_any_role():
    w, people = busy_store()
    before = readings(w)
    newcomer, _ = employee_with_login(w.organization, w.store, "acme-newcomer")
    services.mood_record(scope=w.scope(newcomer), mood=1)
    assert readings(w) == before
    # the same person again: the count of people would not move, the mean would
    services.mood_record(scope=w.scope(people[0]), mood=5)
    services.mood_record(scope=w.scope(people[0]), mood=5)
    assert readings(w) == before


def test_one_more_incident_moves_no_visible_figure_for_any_role():
    w, _ = busy_store()
    before = readings(w)
    services.incident_report(
        scope=w.scope(w.clerk),
        category="upset",
        severity=1,
        description="Shouted about the queue.",
        interaction_id=w.interaction.pk,
    )
    assert Incident.objects.filter(organization=w.organization).count() == 1
    assert readings(w) == before


def test_erasing_a_person_does_not_change_a_published_month():
    w, people = busy_store()
    before = readings(w)
    erased = people[-1].employee
    org_services.employee_erase(employee=erased, actor=w.admin)
    assert not MoodCheckIn.objects.filter(employee=erased).exists()
    assert readings(w) == before


def test_each_person_weighs_once_in_a_months_mean():
    w, people = busy_store()
    last = last_month_day()
    for _ in range(6):
        extra = services.mood_record(scope=w.scope(people[0]), mood=5)
        MoodCheckIn.objects.filter(pk=extra.pk).update(created_at=last)
    services.figures_publish(organization=w.organization)
    figures = selectors.hr_by_unit_month(w.scope(w.hr))
    row = {r["unit"].pk: r for r in figures["mood"][last.strftime("%Y-%m")]}[w.store.pk]
    # people[0] checked in at 2 once and at 5 six times: their own mean counts once
    moods = [2 + n % 3 for n in range(7)]
    moods[0] = (2 + 6 * 5) / 7
    assert row["people"] == 7
    assert row["mood"] == pytest.approx(sum(moods) / 7)


def answered_case(w, *, csat: int, when: dt.datetime | None = None):
    """A closed recovery case of the store whose customer answered the follow-up."""
    interaction = w.interaction_for(customer=CustomerFactory(organization=w.organization))
    case = services.recovery_open(
        scope=w.scope(w.clerk), interaction_id=interaction.pk, problem="Sofa delivered broken."
    )
    services.recovery_close(scope=w.scope(w.clerk), case=case, gesture="Credit")
    case.refresh_from_db()
    CustomerResponse.objects.create(
        wave=case.followup.wave,
        interaction=case.interaction,
        unit=w.store,
        answers={"csat": csat},
        submitted_at=when or timezone.now(),
    )
    return case


def recovery_readings(w) -> dict:
    org = w.organization.slug
    out = {}
    for user in (w.admin, w.hr, w.region_manager, w.store_manager):
        body = NOISE.sub("", client_for(user).get(f"/o/{org}/care/recovery/").content.decode())
        start = body.find('id="recovery-by-unit"')
        assert start > 0, user.username
        out[user.username] = body[start : body.find("</table>", start)]
    return out


def test_one_more_follow_up_answer_moves_no_recovered_share():
    """A manager closes a case, its customer answers the follow-up: the share satisfied
    must not move so that this customer's answer can be read off it."""
    w = world()
    for n in range(6):
        answered_case(w, csat=5 if n < 4 else 2, when=last_quarter_day())
    for n in range(6):
        answered_case(w, csat=5 if n < 3 else 1)
    before = recovery_readings(w)
    answered_case(w, csat=1)
    assert recovery_readings(w) == before


def test_the_last_closed_quarters_recovered_share_is_shown():
    w = world()
    for n in range(6):
        answered_case(w, csat=5 if n < 4 else 2, when=last_quarter_day())
    answered_case(w, csat=1)  # this quarter's: not in the last closed quarter's share
    services.figures_publish(organization=w.organization)
    rows = {r["unit"].pk: r for r in selectors.recovery_by_unit(w.scope(w.store_manager))["rows"]}
    assert rows[w.store.pk]["answered"] == 6
    assert rows[w.store.pk]["recovered"] == pytest.approx(4 / 6)


# ----------------------------------------------------------------------------- goodwill report


def customer_survey(w):
    from servicechain.surveys import services as survey_services
    from servicechain.surveys.models import Wave

    instrument = survey_services.instrument_create(
        organization=w.organization,
        name="Customers",
        population="customer",
        template="customer_transactional",
    )
    return survey_services.wave_create(
        organization=w.organization,
        instrument=instrument,
        name="Customer survey",
        audience_unit=w.root if hasattr(w, "root") else w.region,
        opens_at=timezone.now() - dt.timedelta(days=400),
        closes_at=timezone.now() + dt.timedelta(days=30),
        kind=Wave.Kind.CUSTOMER,
    )


def gesture(w, *, when: dt.datetime, kind: str = "credit"):
    """A goodwill credit to a new customer of the store, at `when`; returns the spend."""
    from servicechain.care.models import GoodwillSpend

    interaction = w.interaction_for(customer=CustomerFactory(organization=w.organization))
    return GoodwillSpend.objects.create(
        organization=w.organization,
        employee=interaction.employee,
        unit=w.store,
        interaction=interaction,
        customer=interaction.customer,
        kind=kind,
        reason="delay",
        amount=10,
        status=GoodwillSpend.Status.SPENT,
        created_at=when,
    )


def answer(wave, spend, *, csat: int, when: dt.datetime):
    CustomerResponse.objects.create(
        wave=wave,
        interaction=spend.interaction,
        unit=spend.unit,
        answers={"csat": csat},
        submitted_at=when,
    )


def goodwill_readings(w) -> dict:
    org = w.organization.slug
    out = {}
    for user in (w.admin, w.hr, w.region_manager, w.store_manager):
        body = client_for(user).get(f"/o/{org}/care/allowance/report/").content.decode()
        start = body.find('id="allowance-report"')
        assert start > 0, user.username
        out[user.username] = body[start : body.find("</table>", start)]
    return out


def goodwill_store():
    """Credits to 12 customers of the store over the last two quarters, each answered."""
    w = world()
    wave = customer_survey(w)
    spends = []
    for n in range(12):
        when = timezone.now() - dt.timedelta(days=30 + 12 * n)
        spend = gesture(w, when=when)
        answer(wave, spend, csat=5 if n % 3 else 2, when=when + dt.timedelta(days=2))
        spends.append(spend)
    return w, wave, spends


def test_one_more_answer_after_a_gesture_moves_no_goodwill_figure():
    """A manager gives a credit, its customer answers the survey: the share satisfied must
    not move so that this customer's answer can be read off it."""
    w, wave, _ = goodwill_store()
    recent = gesture(w, when=timezone.now() - dt.timedelta(days=3))
    before = goodwill_readings(w)
    answer(wave, recent, csat=1, when=timezone.now())
    assert goodwill_readings(w) == before


def test_one_more_purchase_after_a_gesture_moves_no_goodwill_figure():
    w, _, spends = goodwill_store()
    before = goodwill_readings(w)
    TransactionFactory(
        organization=w.organization,
        customer=spends[5].customer,
        occurred_at=spends[5].created_at + dt.timedelta(days=5),
    )
    assert goodwill_readings(w) == before


def test_the_goodwill_report_is_the_closed_quarters_gestures_gated():
    w = world()
    wave = customer_survey(w)
    quarter = pd.Timestamp(timezone.now().date()).to_period("Q") - 2
    start = timezone.make_aware(quarter.start_time + pd.Timedelta(days=5), dt.UTC)
    # customers 0-1 buy again within 30 days, 2-4 within 90, 5 after 90 (and before it
    # bought only before the gesture)
    bought_after = {0: 3, 1: 29, 2: 31, 3: 60, 4: 89, 5: 95}
    for n in range(6):
        when = start + dt.timedelta(days=n)
        spend = gesture(w, when=when)
        answer(wave, spend, csat=5 if n < 4 else 2, when=when + dt.timedelta(days=3))
        TransactionFactory(
            organization=w.organization,
            customer=spend.customer,
            occurred_at=when + dt.timedelta(days=bought_after[n]),
        )
        TransactionFactory(
            organization=w.organization,
            customer=spend.customer,
            occurred_at=when - dt.timedelta(days=2),
        )
    services.figures_publish(organization=w.organization)
    report = selectors.allowance_report(w.scope(w.store_manager))
    credit = next(r for r in report["rows"] if r["kind"] == "Credit")
    assert credit["customers"] == 6
    assert credit["satisfied"] == pytest.approx(4 / 6)
    assert credit["returned_30"] == pytest.approx(2 / 6)
    assert credit["returned_90"] == pytest.approx(5 / 6)
    assert report["quarter"] == str(quarter)
