"""The inbox pages, the bell and the API: a person reads and marks only their own notifications."""

from __future__ import annotations

import pytest

from servicechain.notifications import services
from servicechain.notifications.events import PLAN_DUE, RESULTS_READY
from servicechain.notifications.models import Notification, Preference
from tests.factories import OrganizationFactory, make_unit, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    org = OrganizationFactory(slug="acme", name="Acme")
    root = make_unit(org, "Acme", kind="organisation")
    alice, bob = member(org, "hr_analyst"), member(org, "manager", root)
    for title in ("Action plan due: Buddy shifts", "Action plan overdue: Rota"):
        services.notify(
            recipients=[alice],
            event=PLAN_DUE.key,
            title=title,
            url="/o/acme/insights/plans/",
            organization=org,
        )
    services.notify(
        recipients=[bob],
        event=RESULTS_READY.key,
        title="Results of “Census” are ready",
        url="/o/acme/surveys/",
        organization=org,
    )
    return {"org": org, "alice": alice, "bob": bob}


def mine(user):
    return Notification.objects.filter(recipient=user).order_by("pk")


def test_the_bell_shows_the_unread_count_on_every_page(world, client):
    client.force_login(world["alice"])
    for url in ("/o/acme/", "/o/acme/overview/", "/o/acme/surveys/"):
        page = client.get(url).content.decode()
        assert 'data-testid="bell-count">2<' in page, url
    services.notification_mark_read(notification=mine(world["alice"])[0], user=world["alice"])
    assert 'data-testid="bell-count">1<' in client.get("/o/acme/").content.decode()


def test_the_inbox_lists_my_notifications_only(world, client):
    client.force_login(world["alice"])
    page = client.get("/o/acme/notifications/").content.decode()
    assert "Action plan due: Buddy shifts" in page and "Action plan overdue: Rota" in page
    assert "Census" not in page
    assert "2 unread" in page


def test_opening_a_notification_marks_it_read_and_goes_where_it_points(world, client):
    client.force_login(world["alice"])
    first = mine(world["alice"])[0]
    response = client.get(f"/o/acme/notifications/{first.pk}/")
    assert response.status_code == 302 and response["Location"] == "/o/acme/insights/plans/"
    first.refresh_from_db()
    assert first.read_at is not None


def test_mark_one_and_mark_all_read(world, client):
    client.force_login(world["alice"])
    first, second = mine(world["alice"])
    assert client.post(f"/o/acme/notifications/{first.pk}/read/").status_code == 302
    assert list(mine(world["alice"]).values_list("read_at", flat=True))[1] is None
    client.post("/o/acme/notifications/read-all/")
    assert not mine(world["alice"]).filter(read_at__isnull=True).exists()
    assert not mine(world["bob"]).filter(read_at__isnull=False).exists(), "bob's untouched"


def test_someone_elses_notification_is_404_and_stays_unread(world, client):
    client.force_login(world["alice"])
    bobs = mine(world["bob"]).get()
    assert client.get(f"/o/acme/notifications/{bobs.pk}/").status_code == 404
    assert client.post(f"/o/acme/notifications/{bobs.pk}/read/").status_code == 404
    assert client.post(f"/api/orgs/acme/notifications/{bobs.pk}/read").status_code == 404
    bobs.refresh_from_db()
    assert bobs.read_at is None


def test_anonymous_visitors_log_in_and_outsiders_get_404(world, client):
    response = client.get("/o/acme/notifications/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/api/orgs/acme/notifications").status_code == 401
    client.force_login(member(OrganizationFactory(slug="rival"), "admin"))
    assert client.get("/o/acme/notifications/").status_code == 404
    assert client.get("/api/orgs/acme/notifications").status_code == 404


def test_the_api_lists_and_marks_my_notifications(world, client):
    client.force_login(world["alice"])
    body = client.get("/api/orgs/acme/notifications").json()
    assert body["unread"] == 2
    assert [n["title"] for n in body["notifications"]] == [
        "Action plan overdue: Rota",
        "Action plan due: Buddy shifts",
    ]
    first = body["notifications"][0]["id"]
    marked = client.post(f"/api/orgs/acme/notifications/{first}/read").json()
    assert marked["unread"] is False and marked["read_at"]
    assert client.get("/api/orgs/acme/notifications?unread=true").json()["unread"] == 1
    assert client.post("/api/orgs/acme/notifications/read-all").json() == {"marked": 1}


def test_email_choices_are_saved_from_the_page_and_the_api(world, client):
    client.force_login(world["alice"])
    page = client.get("/o/acme/notifications/preferences/").content.decode()
    assert "An action plan I own is due soon or overdue" in page
    client.post("/o/acme/notifications/preferences/", {f"email:{RESULTS_READY.key}": "on"})
    chosen = dict(Preference.objects.filter(user=world["alice"]).values_list("event", "email"))
    assert chosen[PLAN_DUE.key] is False and chosen[RESULTS_READY.key] is True

    response = client.put(
        "/api/orgs/acme/notifications/preferences",
        {"email": {PLAN_DUE.key: True}},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert next(p for p in response.json() if p["event"] == PLAN_DUE.key)["email"] is True


def test_an_unknown_event_in_the_api_is_a_422_and_changes_nothing(world, client):
    client.force_login(world["alice"])
    response = client.put(
        "/api/orgs/acme/notifications/preferences",
        {"email": {PLAN_DUE.key: False, "made.up": True}},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "made.up" in response.json()["detail"]
    assert not Preference.objects.filter(user=world["alice"]).exists()
