"""Regression tests for the defects a new user met on the contact-centre pages.

The swap picker listed blank entries; solver and forecast code names, penalty slugs and job
states reached team leads; times and dates came in several styles; Volumes and Intraday had
no chart. Each test reads the page as rendered.
"""

import datetime as dt
import html
import re

import pytest
import time_machine
from django.test import Client

from servicechain.contactcentre import labels, selectors, services
from servicechain.contactcentre.models import IntervalVolume, MoveRequest, PlanningJob, Schedule
from tests.contactcentre.helpers import DAY, agent_login, lead_login, pie_van_day, publish_day
from tests.contactcentre.test_planning import FIRST_DAY, planning_team

pytestmark = pytest.mark.django_db

INTERNAL_NAMES = [
    "holt_winters",
    "seasonal_naive",
    "OPTIMAL",
    "FEASIBLE",
    "CP-SAT",
    "lunch_preferences",
    "start_preferences",
    "understaffing",
    "schedule(s)",
    "interval(s)",
    "succeeded",
    "queued",
    "Gap",
    "weighted missing agent-intervals",
]


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def visible_text(page: str) -> str:
    """What a person reads without opening the planners' details: no scripts (chart specs),
    no <details> blocks, no tags or attributes."""
    page = re.sub(r"<script\b.*?</script>", " ", page, flags=re.S)
    page = re.sub(r"<details\b.*?</details>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def select_options(page: str, select_id: str) -> list[tuple[str, str]]:
    """(value, text) of every option of the select with ``select_id``."""
    block = re.search(rf'<select[^>]*id="{select_id}".*?</select>', page, flags=re.S)
    assert block, f"no select #{select_id}"
    return [
        (value, html.unescape(text).strip())
        for value, text in re.findall(
            r'<option value="([^"]*)"[^>]*>(.*?)</option>', block.group(0), flags=re.S
        )
    ]


def selected_option(page: str, select_id: str) -> str:
    block = re.search(rf'<select[^>]*id="{select_id}".*?</select>', page, flags=re.S)
    chosen = re.search(r"<option[^>]*selected[^>]*>(.*?)</option>", block.group(0), flags=re.S)
    return chosen.group(1).strip() if chosen else ""


# --------------------------------------------------------------------------- lunch swap


def test_swap_picker_names_every_colleague_with_their_lunch_time_and_a_value():
    team, agents = pie_van_day()
    user, me = agent_login(team, "alex")
    Schedule.objects.get().shifts.filter(agent=agents[0]).update(agent=me)  # my lunch 12:00

    page = logged_in(user).get(f"/o/{team.organization.slug}/contact-centre/me/", {"day": DAY})

    options = select_options(page.content.decode(), "swap-with")
    assert options[0] == ("", "Choose a colleague…")
    partners = options[1:]
    # agents[1] also lunches at 12:00: swapping with them would change nothing.
    expected = [(str(a.pk), f"{a} — lunch at {t}") for a, t in _lunches(agents[2:])]
    assert sorted(partners) == sorted(expected)
    assert all(value and " — lunch at " in text and text[0] != " " for value, text in partners)


def _lunches(agents):
    clocks = {2: "12:30", 3: "12:30", 4: "13:00", 5: "13:00"}
    return [(agent, clocks[i + 2]) for i, agent in enumerate(agents)]


def test_choosing_a_colleague_from_the_swap_picker_previews_and_asks_them():
    team, agents = pie_van_day()
    user, me = agent_login(team, "alex")
    Schedule.objects.get().shifts.filter(agent=agents[0]).update(agent=me)
    client = logged_in(user)
    base = f"/o/{team.organization.slug}/contact-centre"
    page = client.get(f"{base}/me/", {"day": DAY}).content.decode()
    value, text = next(o for o in select_options(page, "swap-with") if o[0])
    lunch_position = re.search(
        r'name="position" value="(\d+)">\s*<div>\s*<label for="swap-with"', page
    ).group(1)

    preview = client.get(
        f"{base}/me/preview/", {"day": DAY, "position": lunch_position, "colleague": value}
    ).content.decode()
    client.post(
        f"{base}/me/requests/", {"day": DAY, "position": lunch_position, "colleague": value}
    )

    assert "Pick a new time or a colleague" not in preview
    assert f"Ask {text.split(' — ')[0]}" in preview
    move = MoveRequest.objects.get()
    assert (move.kind, move.status, str(move.colleague_id)) == ("swap", "pending_colleague", value)


# --------------------------------------------------------------------------- plain words


def test_planner_pages_speak_plain_words_and_keep_the_detail_for_planners():
    team, _ = planning_team(agents=5)
    lead = logged_in(lead_login(team))
    base = f"/o/{team.organization.slug}/contact-centre"
    lead.post(f"{base}/teams/inbound/forecast/", {"first_day": FIRST_DAY, "horizon_days": 2})
    lead.post(
        f"{base}/teams/inbound/schedules/", {"first_day": FIRST_DAY, "days": 1, "time_limit_s": 1}
    )
    schedule = Schedule.objects.get()
    forecast = selectors.latest_forecast(team)
    job = PlanningJob.objects.get(kind="schedule")

    pages = {
        "forecast": lead.get(f"{base}/teams/inbound/forecast/").content.decode(),
        "schedules": lead.get(f"{base}/teams/inbound/schedules/").content.decode(),
        "schedule": lead.get(f"{base}/schedules/{schedule.pk}/").content.decode(),
        "job": lead.get(f"{base}/jobs/{job.pk}/").content.decode(),
        "home": lead.get(f"{base}/").content.decode(),
    }

    for name, page in pages.items():
        text = visible_text(page)
        leaked = [word for word in INTERNAL_NAMES if word in text]
        assert not leaked, f"{name} shows {leaked}"
    assert labels.forecast_method(forecast.method) in pages["forecast"]
    assert forecast.method in pages["forecast"], "the method's code stays in the details"
    assert labels.plan_outcome(schedule.solver_status) in visible_text(pages["schedules"])
    assert "Done" in visible_text(pages["job"])
    assert f"Review the plan for {schedule.day:%a %-d %b %Y}" in pages["job"]
    assert "1 draft plan ready to review" in pages["job"]
    details = re.search(r'<details[^>]*id="plan-details".*?</details>', pages["schedule"], re.S)
    assert "Agents missing" in details.group(0) and "Lunch wishes not met" in details.group(0)


def test_schedule_review_leads_with_coverage_and_flags_over_and_under_staffing():
    team, agents = pie_van_day()
    schedule = Schedule.objects.get()
    lead = logged_in(lead_login(team))

    page = lead.get(f"/o/{team.organization.slug}/contact-centre/schedules/{schedule.pk}/")
    page = page.content.decode()

    assert page.index('id="coverage-table"') < page.index('id="plan-details"')
    rows = re.findall(r"<tr[^>]*><td>(\d\d:\d\d)</td>(.*?)</tr>", page, flags=re.S)
    staffing = {clock: visible_text(cells).split() for clock, cells in rows}
    # Six agents on the phone where four are needed: visibly over-staffed.
    assert "2 more than needed" in " ".join(staffing["09:00"])
    assert "more than needed" not in " ".join(staffing["11:00"]), "one spare agent is slack"
    assert re.search(r'data-testid="intervals-over">10<', page)
    assert re.search(r'data-testid="intervals-short">0<', page)


def test_lead_sees_the_cost_of_a_request_in_agent_minutes_and_who_decided_by_name():
    team, agents = pie_van_day()
    lead_user = lead_login(team, "lee")
    lead_user.first_name, lead_user.last_name = "Lee", "Harper"
    lead_user.save()
    waiting = services.lunch_move_request(agent=agents[0], day=DAY, position=0, to_start=4)
    decided = services.lunch_move_request(agent=agents[2], day=DAY, position=0, to_start=4)
    services.lunch_move_decline(request=decided, actor=lead_user)
    lead = logged_in(lead_user)

    page = lead.get(f"/o/{team.organization.slug}/contact-centre/teams/inbound/requests/")
    text = visible_text(page.content.decode())

    assert waiting.status == MoveRequest.Status.PENDING_LEAD
    # 10:00-10:30 needs 6 and would have 5: one agent short for two 15-minute intervals.
    assert "30 agent-minutes short of what the calls need" in text
    assert "weighted missing agent-intervals" not in text
    recent = re.search(r'<table id="recent-requests">.*?</table>', page.content.decode(), re.S)
    assert "Lee Harper" in recent.group(0) and ">lee<" not in recent.group(0)


# --------------------------------------------------------------------------- times and dates


def test_every_time_field_offers_24_hour_clock_times_not_a_locale_time_input():
    team, agents = pie_van_day()
    user, me = agent_login(team, "alex")
    me.preferred_lunch_from, me.preferred_lunch_to = dt.time(13, 0), dt.time(14, 0)
    me.save()
    lead = logged_in(lead_login(team))
    base = f"/o/{team.organization.slug}/contact-centre"

    my_day = logged_in(user).get(f"{base}/me/", {"day": DAY}).content.decode()
    edit = lead.get(f"{base}/teams/inbound/agents/{me.pk}/").content.decode()

    for page in (my_day, edit):
        assert 'type="time"' not in page
    assert selected_option(my_day, "id_lunch_from") == "13:00"
    assert [text for _, text in select_options(my_day, "id_lunch_from")][:3] == [
        "none",
        "09:00",
        "09:15",
    ], "the centre's opening hours on its 15-minute grid"
    assert select_options(my_day, "id_lunch_to")[-1] == ("15:00", "15:00")
    assert selected_option(edit, "id_earliest_start") == "09:00"
    assert selected_option(edit, "id_latest_end") == "15:00"


def test_a_saved_time_off_the_grid_is_kept_when_the_form_is_saved_again():
    team, agents = pie_van_day()
    user, me = agent_login(team, "alex")
    me.preferred_shift_start = dt.time(9, 7)
    me.save()
    client = logged_in(user)
    base = f"/o/{team.organization.slug}/contact-centre"

    page = client.get(f"{base}/me/", {"day": DAY}).content.decode()
    client.post(f"{base}/me/wishes/", {"shift_start": selected_option(page, "id_shift_start")})

    me.refresh_from_db()
    assert me.preferred_shift_start == dt.time(9, 7)


def test_planning_forms_pick_days_written_like_every_other_date():
    team, _ = planning_team(agents=1)
    base = f"/o/{team.organization.slug}/contact-centre/teams/inbound"

    with time_machine.travel(dt.datetime(2030, 2, 4, 7, 0, tzinfo=team.centre.zone), tick=False):
        lead = logged_in(lead_login(team))
        forecast = lead.get(f"{base}/forecast/").content.decode()
        schedules = lead.get(f"{base}/schedules/").content.decode()

    for page in (forecast, schedules):
        assert 'type="date"' not in page
        assert selected_option(page, "id_first_day") == "Mon 4 Feb 2030"
        assert select_options(page, "id_first_day")[1] == ("2030-02-05", "Tue 5 Feb 2030")


def test_contact_centre_pages_write_dates_one_way():
    team, agents = pie_van_day()
    lead = logged_in(lead_login(team))
    page = lead.get(f"/o/{team.organization.slug}/contact-centre/teams/inbound/", {"day": DAY})

    text = visible_text(page.content.decode())

    assert "Tue 8 Jan 2030" in text, "long style in the heading"
    assert "Mon 7 Jan" in text and "Wed 9 Jan" in text, "short style for the neighbouring days"
    assert not re.search(r"\b(Tuesday|January|2030-01-08)\b", text)


# --------------------------------------------------------------------------- charts


def test_volumes_page_charts_calls_per_day_and_per_interval_with_the_forecast():
    team, _ = planning_team(agents=1)
    services.forecast_create(team=team, first_day=FIRST_DAY, horizon_days=3)
    lead = logged_in(lead_login(team))

    page = lead.get(f"/o/{team.organization.slug}/contact-centre/teams/inbound/volumes/")
    page = page.content.decode()

    assert 'id="volume-chart"' in page and 'id="profile-chart"' in page
    days = IntervalVolume.objects.dates("interval_start", "day")
    daily = re.search(r'id="volume-chart-caption">(.*?)</figcaption>', page, re.S).group(1)
    assert f"{len(days)} days from" in daily and "The forecast expects" in daily
    spec = re.search(r'<script id="volume-chart-spec"[^>]*>(.*?)</script>', page, re.S).group(1)
    assert '"title": "Calls per day"' in spec and '"Forecast"' in spec
    profile = re.search(r'id="profile-chart-caption">(.*?)</figcaption>', page, re.S).group(1)
    assert "Over the last 28 days" in profile
    clocks = re.findall(
        r'"clock": "(\d\d:\d\d)"',
        re.search(r'<script id="profile-chart-spec"[^>]*>(.*?)</script>', page, re.S).group(1),
    )
    assert min(clocks) == "09:00" and max(clocks) == "14:45", "the centre's opening hours only"


def test_volumes_chart_leaves_out_the_unfinished_day():
    team, _ = planning_team(agents=1)  # actuals up to Sun 3 Feb 2030

    with time_machine.travel(dt.datetime(2030, 2, 3, 12, 0, tzinfo=team.centre.zone), tick=False):
        lead = logged_in(lead_login(team))
        page = lead.get(f"/o/{team.organization.slug}/contact-centre/teams/inbound/volumes/")
    page = page.content.decode()

    daily = re.search(r'id="volume-chart-caption">(.*?)</figcaption>', page, re.S).group(1)
    assert "to Sat 2 Feb 2030" in daily, daily


def test_intraday_page_charts_calls_so_far_and_the_service_level_now_expected():
    team, agents = pie_van_day()
    today = dt.date(2030, 1, 9)
    publish_day(team, agents, day=today)
    schedule = selectors.published_schedule(team, today)
    for index in range(4):  # 09:00-10:00 closed: twice the calls planned for
        IntervalVolume.objects.create(
            team=team, interval_start=schedule.interval_datetime(index), calls=12, aht_s=300.0
        )
    with time_machine.travel(dt.datetime(2030, 1, 9, 10, 5, tzinfo=team.centre.zone), tick=False):
        lead = logged_in(lead_login(team))
        page = lead.get(f"/o/{team.organization.slug}/contact-centre/teams/inbound/intraday/")
    page = page.content.decode()

    assert 'id="intraday-chart"' in page
    caption = re.search(r'id="intraday-chart-caption">(.*?)</figcaption>', page, re.S).group(1)
    assert "4 intervals closed: 48 calls came against 24 planned for" in caption
    assert "expected below the 80% target" in caption
    rows = dict(re.findall(r"<tr><td>(\d\d:\d\d)</td>(.*?)</tr>", page, flags=re.S))
    assert ">12<" in rows["09:00"], "the calls that came"
    assert "bad" in rows["10:00"], "busier than planned: the plan's agents fall short"
