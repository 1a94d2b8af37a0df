"""The pages a planner, a lead and an agent walk through, rendered for real."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from servicechain.contactcentre import labels, selectors, services
from servicechain.contactcentre.models import BreakTaken, MoveRequest, PlanningJob, Schedule, Shift
from tests.contactcentre.helpers import (
    DAY,
    agent_login,
    lead_login,
    make_agent,
    pie_van_day,
    publish_day,
)
from tests.contactcentre.test_planning import FIRST_DAY, planning_team

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_planner_imports_forecasts_generates_reviews_and_publishes(tmp_path):
    team, agents = planning_team(agents=5)
    lead = logged_in(lead_login(team))
    base = f"/o/{team.organization.slug}/contact-centre"

    csv = b"interval_start,calls,aht_s\n2030-02-03 09:00,5,280\n2030-02-03 09:15,x,280\n"
    page = lead.post(f"{base}/teams/inbound/volumes/", {"file": SimpleUploadedFile("v.csv", csv)})
    assert "row 3" in page.content.decode() and "nothing was imported" in page.content.decode()

    response = lead.post(
        f"{base}/teams/inbound/forecast/", {"first_day": FIRST_DAY, "horizon_days": 2}
    )
    job = PlanningJob.objects.get(kind="forecast")
    assert response.url == f"{base}/jobs/{job.pk}/"
    assert job.status == "succeeded"
    page = lead.get(f"{base}/teams/inbound/forecast/").content.decode()
    method = selectors.latest_forecast(team).method
    assert labels.forecast_method(method) in page and 'id="forecast-chart"' in page

    lead.post(
        f"{base}/teams/inbound/schedules/", {"first_day": FIRST_DAY, "days": 1, "time_limit_s": 1}
    )
    schedule = Schedule.objects.get()
    job_page = lead.get(f"{base}/jobs/{PlanningJob.objects.get(kind='schedule').pk}/")
    assert f"/schedules/{schedule.pk}/" in job_page.content.decode()
    review = lead.get(f"{base}/schedules/{schedule.pk}/").content.decode()
    assert "What the cost is made of" in review and "Agents missing" in review
    assert 'id="timeline"' in review

    lead.post(f"{base}/schedules/{schedule.pk}/publish/")
    schedule.refresh_from_db()
    assert schedule.status == "published"
    day = lead.get(f"{base}/teams/inbound/", {"day": FIRST_DAY}).content.decode()
    assert 'id="service-level-chart"' in day and str(agents[0]) in day


def test_job_page_polls_until_the_job_has_finished():
    team, _ = planning_team(agents=1)
    lead = logged_in(lead_login(team))
    job = PlanningJob.objects.create(team=team, kind="forecast", status="running", progress=40)
    url = f"/o/{team.organization.slug}/contact-centre/jobs/{job.pk}/"

    running = lead.get(url, HTTP_HX_REQUEST="true").content.decode()
    PlanningJob.objects.filter(pk=job.pk).update(status="failed", message="No volumes")
    finished = lead.get(url, HTTP_HX_REQUEST="true").content.decode()

    assert 'hx-trigger="every 2s"' in running and "40%" in running
    assert "hx-trigger" not in finished and "No volumes" in finished


def test_agent_preview_fragment_shows_every_changed_interval_and_the_verdict():
    team, agents = pie_van_day()
    user, me = agent_login(team, "alex")
    Schedule.objects.get().shifts.filter(agent=agents[0]).update(agent=me)
    agent = logged_in(user)
    url = f"/o/{team.organization.slug}/contact-centre/me/preview/"

    busy = agent.get(url, {"day": DAY, "position": 0, "to_start": 4}).content.decode()
    quiet = agent.get(url, {"day": DAY, "position": 0, "to_start": 8}).content.decode()
    swap = agent.get(url, {"day": DAY, "position": 0, "colleague": agents[4].pk}).content.decode()

    assert 'data-verdict="needs_lead"' in busy and "82% → 60%" in busy
    assert "Send to my team lead" in busy and 'id="suggestions"' in busy
    assert 'data-verdict="auto_approve"' in quiet and "Confirm the move" in quiet
    assert f"Ask {agents[4]}" in swap
    assert not MoveRequest.objects.exists()


def test_a_move_to_a_time_outside_the_day_is_refused_in_words_not_a_server_error():
    # The load benchmark's agents sent a colleague's id as the new time: a 500 on the page.
    team, agents = pie_van_day()
    user, me = agent_login(team, "alex")
    Schedule.objects.get().shifts.filter(agent=agents[0]).update(agent=me)
    agent = logged_in(user)
    slug = team.organization.slug
    move = {"day": DAY, "position": 0, "to_start": 56}

    page = agent.get(f"/o/{slug}/contact-centre/me/preview/", move)
    api = agent.post(
        f"/api/orgs/{slug}/contact-centre/moves/preview",
        {**move, "day": DAY.isoformat()},
        content_type="application/json",
    )

    assert page.status_code == 200
    assert "outside the day" in page.content.decode()
    assert api.status_code == 422 and "outside the day" in api.json()["detail"]
    assert not MoveRequest.objects.exists()


def test_swap_is_answered_on_the_colleagues_own_day():
    team, agents = pie_van_day()
    asker_user, asker = agent_login(team, "alex")
    asked_user, asked = agent_login(team, "sam")
    schedule = Schedule.objects.get()
    schedule.shifts.filter(agent=agents[0]).update(agent=asker)
    schedule.shifts.filter(agent=agents[4]).update(agent=asked)
    base = f"/o/{team.organization.slug}/contact-centre"
    logged_in(asker_user).post(
        f"{base}/me/requests/", {"day": DAY, "position": 0, "colleague": asked.pk}
    )

    own_day = logged_in(asked_user).get(f"{base}/me/", {"day": DAY}).content.decode()
    assert "Colleagues asking to swap lunches with you" in own_day
    move = MoveRequest.objects.get()
    logged_in(asked_user).post(f"{base}/me/requests/{move.pk}/answer/", {"accept": "yes"})

    move.refresh_from_db()
    assert move.status == MoveRequest.Status.AUTO_APPROVED


def test_agent_records_a_break_and_sets_wishes():
    team, agents = pie_van_day()
    user, me = agent_login(team, "alex")
    today = selectors.local_today(team)
    lunch_now = dt.datetime.combine(today, dt.time(12, 5), tzinfo=team.centre.zone)
    # Publish today's day so that "now" can be inside the lunch of the agent.
    publish_day(team, [me, *[make_agent(team) for _ in range(5)]], day=today)
    base = f"/o/{team.organization.slug}/contact-centre"
    client = logged_in(user)

    services.break_taken_record(agent=me, day=today, position=0, started_at=lunch_now)
    again = client.post(f"{base}/me/breaks/0/taken/", follow=True).content.decode()
    client.post(f"{base}/me/wishes/", {"lunch_from": "10:00", "lunch_to": "12:00"})

    assert "already recorded" in again
    assert BreakTaken.objects.count() == 1
    me.refresh_from_db()
    assert (me.preferred_lunch_from, me.preferred_lunch_to) == (dt.time(10), dt.time(12))


def test_intraday_page_compares_actuals_with_the_plan():
    team, agents = pie_van_day()
    today = selectors.local_today(team)
    publish_day(team, agents, day=today)
    lead = logged_in(lead_login(team))

    page = lead.get(f"/o/{team.organization.slug}/contact-centre/teams/inbound/intraday/")

    assert page.status_code == 200
    assert 'id="intraday-table"' in page.content.decode()


def test_roster_shows_contracts_wishes_and_recent_fulfilment():
    team, agents = pie_van_day()
    agents[0].preferred_lunch_from, agents[0].preferred_lunch_to = dt.time(10), dt.time(12)
    agents[0].save()
    Shift.objects.filter(agent=agents[0]).update(lunch_preference_met=False)
    lead = logged_in(lead_login(team))

    roster = selectors.agent_roster(team, today=DAY + dt.timedelta(days=1))
    page = lead.get(f"/o/{team.organization.slug}/contact-centre/teams/inbound/agents/")

    assert page.status_code == 200 and "10:00–12:00" in page.content.decode()
    mine = next(row for row in roster if row["agent"] == agents[0])
    assert (mine["wish_met"], mine["wish_unmet"]) == (0, 1)
