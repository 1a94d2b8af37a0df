"""Recognition pages: every page's ownership (the member can, another organisation's member
gets 404, an anonymous visitor is sent to log in, a role that may not 403), and the forms'
round trips (save, read it back; refused input 422 with the reason, nothing saved)."""

import pytest
from django.test import Client

from servicechain.org.models import AuditEvent
from servicechain.recognition import services
from servicechain.recognition.models import Kudos, PointsEntry, Redemption
from tests.recognition.helpers import build_org

pytestmark = pytest.mark.django_db

PAGES = [
    "",
    "give/",
    "spread/",
    "goals/",
    "goals/new/",
    "spot-bonuses/",
    "achievements/",
    "moderation/",
    "points/",
]
# Who may open what (200) — everyone else 403.
ALLOWED = {
    "": {"north0", "boss", "hr", "admin"},
    "give/": {"north0", "boss"},
    "spread/": {"boss", "hr", "admin"},
    "goals/": {"north0", "boss", "hr", "admin"},
    "goals/new/": {"north0", "boss"},
    "spot-bonuses/": {"north0", "boss", "hr", "admin"},
    "achievements/": {"north0", "boss", "hr", "admin"},
    "moderation/": {"admin"},
    "points/": {"admin"},
}


def client_for(org, name):
    client = Client()
    client.force_login(org.users[name])
    return client


def url(org, path=""):
    return f"/o/{org.organization.slug}/recognition/{path}"


@pytest.mark.parametrize("path", PAGES)
def test_each_page_opens_for_the_roles_it_serves_and_no_one_else(path):
    org, other = build_org(), build_org()
    for name in ("north0", "boss", "hr", "admin"):
        status = client_for(org, name).get(url(org, path)).status_code
        assert status == (200 if name in ALLOWED[path] else 403), (name, path, status)
    assert client_for(other, "admin").get(url(org, path)).status_code == 404
    response = Client().get(url(org, path))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_giving_kudos_on_the_page_posts_it_and_the_team_reads_it():
    org = build_org()
    giver = client_for(org, "north0")
    response = giver.post(
        url(org, "give/"),
        {
            "team": org.north.pk,
            "values": ["own-it"],
            "message": "Stock-take heroes",
            "points": "5",
            "visibility": "team",
        },
    )
    kudos = Kudos.objects.get()
    assert response.status_code == 302 and response["Location"] == url(org, f"kudos/{kudos.pk}/")
    page = client_for(org, "north1").get(url(org)).content.decode()
    assert "Stock-take heroes" in page and "#own-it" in page and "+5 points each" in page
    assert "Stock-take heroes" not in client_for(org, "south0").get(url(org)).content.decode()


def test_refused_kudos_say_why_and_keep_what_was_typed():
    org = build_org(allowance=10)
    response = client_for(org, "north0").post(
        url(org, "give/"),
        {
            "recipients": [org.people["north1"].pk],
            "values": ["own-it"],
            "message": "Kept text",
            "points": "50",
            "visibility": "organisation",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "You have 10 points left this month" in html and "Kept text" in html
    assert not Kudos.objects.exists() and not PointsEntry.objects.exists()


def test_an_unknown_colleague_is_a_clear_error():
    org = build_org()
    response = client_for(org, "north0").post(
        url(org, "give/"),
        {
            "recipients": ["424242"],
            "values": ["own-it"],
            "message": "Hi",
            "points": "0",
            "visibility": "organisation",
        },
    )
    assert response.status_code == 422
    assert "No current colleague with id 424242" in response.content.decode()


def test_a_reaction_round_trip_and_a_comment():
    org = build_org()
    kudos = services.kudos_give(
        giver=org.people["north0"],
        message="Thanks",
        values=["own-it"],
        recipients=[org.people["north1"]],
    )
    reader = client_for(org, "south0")
    reader.post(url(org, f"kudos/{kudos.pk}/react/"), {"kind": "applause"})
    reader.post(url(org, f"kudos/{kudos.pk}/comment/"), {"text": "Well deserved"})
    html = reader.get(url(org, f"kudos/{kudos.pk}/")).content.decode()
    assert 'data-reaction="applause"' in html and 'aria-pressed="true"' in html
    assert "Well deserved" in html
    assert reader.post(url(org, f"kudos/{kudos.pk}/react/"), {"kind": "boo"}).status_code == 422


def test_the_spread_exports_as_csv_and_the_export_is_audited():
    org = build_org()
    response = client_for(org, "hr").get(url(org, "spread/") + "?format=csv&table=spread")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "top_10_percent_share,gini,withheld" in response.content.decode().splitlines()[0]
    assert AuditEvent.objects.filter(organization=org.organization).exists()


def test_points_are_exported_for_redemption_once():
    org = build_org()
    services.kudos_give(
        giver=org.people["north0"],
        message="x",
        values=["own-it"],
        recipients=[org.people["north1"]],
        points=30,
    )
    admin = client_for(org, "admin")
    admin.post(url(org, "points/"), {"minimum_points": "1"})
    admin.post(url(org, "points/"), {"minimum_points": "1"})
    first, second = Redemption.objects.order_by("pk")
    assert (first.points, first.people, second.points) == (30, 1, 0)
    csv = admin.get(url(org, f"points/redemptions/{first.pk}.csv")).content.decode()
    assert "North1" in csv and ",30," in csv
    assert AuditEvent.objects.filter(action="recognition.points_redeem").count() == 2


def test_a_manager_nominates_a_spot_bonus_on_the_page(time_machine):
    time_machine.move_to("2026-05-04 10:00Z")
    org = build_org()
    services.spot_bonus_budget_set(
        viewer=org.viewer("hr"), manager=org.users["boss"], year=2026, amount="200"
    )
    boss = client_for(org, "boss")
    refused = boss.post(
        url(org, "spot-bonuses/"),
        {"employee": org.people["north1"].pk, "amount": "250", "reason": "Hero"},
    )
    assert (
        refused.status_code == 422
        and "£200.00 of your 2026 budget is left" in refused.content.decode()
    )
    boss.post(
        url(org, "spot-bonuses/"),
        {"employee": org.people["north1"].pk, "amount": "120.50", "reason": "Hero"},
    )
    html = boss.get(url(org, "spot-bonuses/")).content.decode()
    assert "£79.50" in html and "Waiting for payout" in html


def test_a_refused_comment_or_report_is_a_422_that_says_why_and_saves_nothing():
    org = build_org()
    kudos = services.kudos_give(
        giver=org.people["north0"],
        message="Thanks",
        values=["own-it"],
        recipients=[org.people["north1"]],
    )
    reader = client_for(org, "south0")
    response = reader.post(url(org, f"kudos/{kudos.pk}/comment/"), {"text": "   "})
    assert response.status_code == 422 and "This cannot be empty." in response.content.decode()
    response = reader.post(url(org, f"kudos/{kudos.pk}/report/"), {"reason": ""})
    assert response.status_code == 422 and 'role="alert"' in response.content.decode()
    assert not kudos.comments.exists() and not kudos.reports.exists()
    done = reader.post(url(org, f"kudos/{kudos.pk}/comment/"), {"text": "Well deserved"})
    assert done.status_code == 302


def test_a_refused_check_in_is_a_422_that_keeps_what_was_typed_and_saves_nothing():
    from decimal import Decimal

    org = build_org()
    goal = services.goal_create(
        viewer=org.viewer("north0"),
        employee=org.people["north0"],
        year=2026,
        quarter=4,
        title="Faster replies",
        key_results=[{"title": "Replies within a day", "target": "10"}],
    )
    kr = goal.key_results.get()
    client = client_for(org, "north0")
    response = client.post(
        url(org, f"goals/{goal.pk}/"), {f"kr-{kr.pk}": "four", "comment": "Half way there"}
    )
    html = response.content.decode()
    assert response.status_code == 422 and 'role="alert"' in html
    assert 'value="four"' in html and "Half way there</textarea>" in html
    kr.refresh_from_db()
    assert kr.current == Decimal(0) and not goal.check_ins.exists()
    response = client.post(url(org, f"goals/{goal.pk}/"), {f"kr-{kr.pk}": "4", "comment": "Ok"})
    assert response.status_code == 302
    html = client.get(url(org, f"goals/{goal.pk}/")).content.decode()
    assert f'name="kr-{kr.pk}" inputmode="decimal" size="8" value="4"' in html and "Ok" in html
