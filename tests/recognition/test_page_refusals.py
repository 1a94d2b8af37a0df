"""The pages' smaller forms refuse bad input like the API: a 422 on the same page with the
reason, nothing written, and the page read again afterwards shows nothing changed (they used
to redirect with the message, a 302 for a refusal)."""

import html
import re

import pytest
from django.test import Client

from servicechain.org.models import Membership
from servicechain.recognition import services
from servicechain.recognition.models import (
    Award,
    Badge,
    Kudos,
    Redemption,
    SpotBonus,
    SpotBonusBudget,
)
from tests.recognition.helpers import build_org

pytestmark = pytest.mark.django_db


def client_for(org, name):
    client = Client()
    client.force_login(org.users[name])
    return client


def url(org, path=""):
    return f"/o/{org.organization.slug}/recognition/{path}"


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def kudos(org):
    return services.kudos_give(
        giver=org.people["north0"],
        message="Thanks for covering",
        values=["own-it"],
        recipients=[org.people["north1"]],
        points=20,
    )


def test_hiding_a_post_without_a_reason_is_refused_and_it_stays_in_the_feed():
    org = build_org()
    post = kudos(org)
    admin = client_for(org, "admin")
    refused = admin.post(url(org, f"kudos/{post.pk}/hide/"), {"reason": "  "})
    assert refused.status_code == 422
    assert "This cannot be empty." in text(refused) and "Moderation" in text(refused)
    assert Kudos.objects.get(pk=post.pk).hidden_at is None
    assert "Thanks for covering" in text(client_for(org, "south0").get(url(org)))


def test_a_budget_that_is_not_an_amount_is_refused_and_none_is_saved(time_machine):
    time_machine.move_to("2026-05-04 10:00Z")
    org = build_org()
    boss = Membership.objects.get(organization=org.organization, user=org.users["boss"])
    hr = client_for(org, "hr")
    refused = hr.post(url(org, "spot-bonuses/budget/"), {"membership": boss.pk, "amount": "lots"})
    assert refused.status_code == 422
    assert "Write the amount as a number, e.g. 150.00." in text(refused)
    assert "Spot bonuses" in text(refused)
    assert not SpotBonusBudget.objects.filter(manager=org.users["boss"]).exists()
    saved = hr.post(url(org, "spot-bonuses/budget/"), {"membership": boss.pk, "amount": "300"})
    assert saved.status_code == 302
    assert "£300.00" in text(hr.get(url(org, "spot-bonuses/")))


def test_cancelling_a_bonus_without_a_reason_is_refused_and_it_still_waits(time_machine):
    time_machine.move_to("2026-05-04 10:00Z")
    org = build_org()
    services.spot_bonus_budget_set(
        viewer=org.viewer("hr"), manager=org.users["boss"], year=2026, amount="200"
    )
    bonus = services.spot_bonus_nominate(
        viewer=org.viewer("boss"), employee=org.people["north1"], amount="50", reason="Hero"
    )
    boss = client_for(org, "boss")
    refused = boss.post(url(org, f"spot-bonuses/{bonus.pk}/cancel/"), {"reason": ""})
    assert refused.status_code == 422 and "This cannot be empty." in text(refused)
    bonus.refresh_from_db()
    assert bonus.status == SpotBonus.Status.NOMINATED
    assert "Waiting for payout" in text(boss.get(url(org, "spot-bonuses/")))


def test_a_badge_by_hand_without_a_badge_or_a_reason_is_refused_on_the_profile():
    org = build_org()
    badge = Badge.objects.create(
        organization=org.organization, name="Hero", slug="hero", description="Saved the day."
    )
    boss = client_for(org, "boss")
    person = org.people["north1"]
    no_badge = boss.post(url(org, f"people/{person.pk}/award/"), {"reason": "Saved the day"})
    assert no_badge.status_code == 422 and "Choose a badge." in text(no_badge)
    assert "North1 Tester" in text(no_badge)
    no_reason = boss.post(url(org, f"people/{person.pk}/award/"), {"badge": badge.pk})
    assert no_reason.status_code == 422 and "This cannot be empty." in text(no_reason)
    assert not Award.objects.filter(employee=person).exists()


def test_exporting_points_with_a_minimum_that_is_not_a_number_is_refused():
    org = build_org()
    kudos(org)
    admin = client_for(org, "admin")
    refused = admin.post(url(org, "points/"), {"minimum_points": "ten"})
    assert refused.status_code == 422
    assert "A whole number of points, at least 1." in text(refused)
    assert not Redemption.objects.exists()
    assert "1 people hold 20 points" in text(admin.get(url(org, "points/")))
