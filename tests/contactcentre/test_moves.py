"""Self-organised lunches: what is approved automatically, what goes to the lead, and why.

Every projected service level is checked against Erlang C written out here from its
textbook form (sum of Poisson terms), independently of the staffing library.
"""

import datetime as dt
import math

import pytest
from django.core.exceptions import ValidationError

from servicechain.contactcentre import dayplan, selectors, services
from servicechain.contactcentre.models import Activity, MoveRequest, Schedule, Shift
from servicechain.org.models import AuditEvent
from tests.contactcentre.helpers import (
    AHT,
    CALLS,
    DAY,
    LUNCHES,
    make_agent,
    make_centre,
    pie_van_day,
    publish_day,
)

pytestmark = pytest.mark.django_db
TARGET = 0.8


def erlang_c_service_level(agents: int, calls: float, aht: float = AHT, interval_s=900, t=20):
    """SL = 1 - P(wait) * exp(-(N - A) t / AHT), P(wait) from the Erlang C sum (Erlang 1917)."""
    traffic = calls * aht / interval_s
    if agents <= traffic:
        return 0.0
    waiting = traffic**agents / math.factorial(agents) * agents / (agents - traffic)
    total = sum(traffic**k / math.factorial(k) for k in range(agents)) + waiting
    return 1.0 - waiting / total * math.exp(-(agents - traffic) * t / aht)


def lunch_start(agent, day=DAY) -> int:
    return Activity.objects.get(
        shift__agent=agent, shift__schedule__day=day, shift__schedule__status="published"
    ).start_interval


def published(day=DAY) -> Schedule:
    return Schedule.objects.get(day=day, status="published")


def test_stored_projection_is_erlang_c_of_agents_on_the_phone():
    pie_van_day()
    for row, calls in zip(published().coverage, CALLS, strict=True):
        expected = erlang_c_service_level(row["scheduled"], calls)
        assert row["projected_service_level"] == pytest.approx(expected, abs=1e-9)


def test_moving_lunch_into_the_busy_van_hour_goes_to_the_lead_with_its_cost():
    team, agents = pie_van_day()

    move = services.lunch_move_request(agent=agents[0], day=DAY, position=0, to_start=4)

    assert move.status == MoveRequest.Status.PENDING_LEAD
    assert lunch_start(agents[0]) == 12, "nothing changes until the lead decides"
    dropped = [row for row in move.impact if row["scheduled_after"] < row["scheduled_before"]]
    assert [row["clock"] for row in dropped] == ["10:00", "10:15"]
    for row in dropped:
        assert row["service_level_after"] == pytest.approx(erlang_c_service_level(5, 11.0))
        assert row["below_target_after"]
    assert move.min_service_level_after == pytest.approx(erlang_c_service_level(5, 11.0))
    assert move.intervals_below_target == 2
    assert erlang_c_service_level(5, 11.0) < TARGET <= erlang_c_service_level(6, 11.0)


def test_escalated_move_comes_with_alternative_slots_that_keep_service_on_target():
    team, agents = pie_van_day()

    move = services.lunch_move_request(agent=agents[0], day=DAY, position=0, to_start=4)

    assert move.suggestions, "the agent and the lead see alternatives"
    assert all(option["stays_on_target"] for option in move.suggestions)
    assert {option["clock"] for option in move.suggestions} <= {"11:00", "11:15", "11:30", "11:45"}
    assert all(option["start"] != 4 for option in move.suggestions), "not the slot asked for"


def test_moving_lunch_into_the_van_window_with_spare_agents_is_approved_at_once():
    team, agents = pie_van_day()

    move = services.lunch_move_request(agent=agents[0], day=DAY, position=0, to_start=8)

    assert move.status == MoveRequest.Status.AUTO_APPROVED
    assert lunch_start(agents[0]) == 8
    coverage = published().coverage
    assert [row["scheduled"] for row in coverage[8:10]] == [5, 5]
    assert coverage[8]["projected_service_level"] == pytest.approx(erlang_c_service_level(5, 8.0))
    assert coverage[8]["projected_service_level"] >= TARGET
    assert [row["scheduled"] for row in coverage[12:14]] == [5, 5], "the old slot is covered again"


def test_second_move_into_the_same_slot_is_judged_against_the_updated_plan():
    team, agents = pie_van_day()
    first = services.lunch_move_request(agent=agents[0], day=DAY, position=0, to_start=8)

    second = services.lunch_move_request(agent=agents[2], day=DAY, position=0, to_start=8)

    assert first.status == MoveRequest.Status.AUTO_APPROVED
    assert second.status == MoveRequest.Status.PENDING_LEAD
    assert second.min_service_level_after == pytest.approx(erlang_c_service_level(4, 8.0))


def test_lead_approval_applies_the_move_and_is_audited():
    team, agents = pie_van_day()
    move = services.lunch_move_request(agent=agents[0], day=DAY, position=0, to_start=4)

    move = services.lunch_move_approve(request=move, note="Go and get your pie.")

    assert move.status == MoveRequest.Status.APPROVED
    assert lunch_start(agents[0]) == 4
    assert published().coverage[4]["projected_service_level"] == pytest.approx(
        erlang_c_service_level(5, 11.0)
    )
    event = AuditEvent.objects.get(action="contactcentre.move.approve")
    assert event.detail["intervals_below_target"] == 2


def test_lead_decline_leaves_the_plan_as_it_was_and_is_audited():
    team, agents = pie_van_day()
    move = services.lunch_move_request(agent=agents[0], day=DAY, position=0, to_start=4)

    move = services.lunch_move_decline(request=move, note="Not at ten, sorry.")

    assert move.status == MoveRequest.Status.DECLINED
    assert lunch_start(agents[0]) == 12
    assert AuditEvent.objects.filter(action="contactcentre.move.decline").exists()


def test_swap_waits_for_the_colleague_and_then_swaps_both_lunches():
    team, agents = pie_van_day()

    move = services.lunch_move_request(agent=agents[0], day=DAY, position=0, colleague=agents[4])

    assert move.status == MoveRequest.Status.PENDING_COLLEAGUE
    assert (lunch_start(agents[0]), lunch_start(agents[4])) == (12, 16)
    move = services.lunch_move_consent(request=move, agent=agents[4], accept=True)
    assert move.status == MoveRequest.Status.AUTO_APPROVED
    assert (lunch_start(agents[0]), lunch_start(agents[4])) == (16, 12)


def test_colleague_can_say_no_to_a_swap():
    team, agents = pie_van_day()
    move = services.lunch_move_request(agent=agents[0], day=DAY, position=0, colleague=agents[4])

    move = services.lunch_move_consent(request=move, agent=agents[4], accept=False)

    assert move.status == MoveRequest.Status.DECLINED
    assert (lunch_start(agents[0]), lunch_start(agents[4])) == (12, 16)


def test_only_the_asked_colleague_can_answer_a_swap():
    team, agents = pie_van_day()
    move = services.lunch_move_request(agent=agents[0], day=DAY, position=0, colleague=agents[4])

    with pytest.raises(ValidationError):
        services.lunch_move_consent(request=move, agent=agents[1], accept=True)


def test_move_that_breaks_the_break_rules_is_refused_not_escalated():
    team, agents = pie_van_day()

    with pytest.raises(ValidationError, match="not possible"):
        services.lunch_move_request(agent=agents[0], day=DAY, position=0, to_start=1)
    assert not MoveRequest.objects.exists()


def test_a_lunch_that_has_started_cannot_be_moved():
    team, agents = pie_van_day()
    during_lunch = dt.datetime(2030, 1, 8, 12, 5, tzinfo=team.centre.zone)

    with pytest.raises(ValidationError, match="already started"):
        services.lunch_move_request(
            agent=agents[0], day=DAY, position=0, to_start=16, now=during_lunch
        )


def test_a_slot_that_has_passed_cannot_be_chosen():
    team, agents = pie_van_day()
    late_morning = dt.datetime(2030, 1, 8, 11, 20, tzinfo=team.centre.zone)

    with pytest.raises(ValidationError, match="passed"):
        services.lunch_move_request(
            agent=agents[4], day=DAY, position=0, to_start=8, now=late_morning
        )


def test_one_open_request_per_agent_and_day():
    team, agents = pie_van_day()
    services.lunch_move_request(agent=agents[0], day=DAY, position=0, to_start=4)

    with pytest.raises(ValidationError, match="already have an open request"):
        services.lunch_move_request(agent=agents[0], day=DAY, position=0, to_start=5)


def test_withdrawn_request_frees_the_agent_to_propose_again():
    team, agents = pie_van_day()
    move = services.lunch_move_request(agent=agents[0], day=DAY, position=0, to_start=4)

    services.lunch_move_withdraw(request=move, agent=agents[0])

    again = services.lunch_move_request(agent=agents[0], day=DAY, position=0, to_start=8)
    assert again.status == MoveRequest.Status.AUTO_APPROVED


def test_approving_a_request_whose_lunch_has_moved_since_cancels_it():
    team, agents = pie_van_day()
    move = services.lunch_move_request(agent=agents[0], day=DAY, position=0, to_start=4)
    Activity.objects.filter(shift__agent=agents[0]).update(start_interval=10, end_interval=12)

    move = services.lunch_move_approve(request=move)

    assert move.status == MoveRequest.Status.CANCELLED
    assert lunch_start(agents[0]) == 10


def test_publishing_a_new_plan_cancels_open_requests_of_the_day():
    team, agents = pie_van_day()
    move = services.lunch_move_request(agent=agents[0], day=DAY, position=0, to_start=4)
    draft = publish_day(team, agents, status="draft")

    services.schedule_publish(schedule=draft)

    move.refresh_from_db()
    assert move.status == MoveRequest.Status.CANCELLED
    assert Schedule.objects.filter(day=DAY, status="published").get().pk == draft.pk


def test_break_moves_follow_spacing_and_order_rules():
    team, agents = pie_van_day()
    # Give the first agent a paid break at 10:00 before a 13:00 lunch.
    shift = Shift.objects.get(agent=agents[0])
    Activity.objects.filter(shift=shift).update(position=1, start_interval=16, end_interval=18)
    Activity.objects.create(shift=shift, kind="break", position=0, start_interval=4, end_interval=5)
    schedule = services.schedule_refresh_coverage(schedule=published())
    plan = dayplan.load_day_plan(schedule)

    later = selectors.move_preview(plan, agents[0], position=0, to_start=8)
    after_lunch = selectors.move_preview(plan, agents[0], position=0, to_start=20)
    next_to_lunch = selectors.move_preview(plan, agents[0], position=0, to_start=14)

    assert later.kind == "break" and later.allowed and later.stays_on_target
    assert not after_lunch.allowed
    assert not next_to_lunch.allowed and "close" in next_to_lunch.reason


def test_lunch_wish_is_marked_met_when_a_move_lands_in_the_window():
    team, agents = pie_van_day()
    agents[0].preferred_lunch_from, agents[0].preferred_lunch_to = dt.time(10), dt.time(12)
    agents[0].save()

    services.lunch_move_request(agent=agents[0], day=DAY, position=0, to_start=8)

    assert Shift.objects.get(agent=agents[0]).lunch_preference_met is True


def test_slot_options_mark_each_slot_with_its_verdict():
    team, agents = pie_van_day()
    plan = dayplan.load_day_plan(published())

    options = {o["clock"]: o for o in selectors.slot_options(plan, agents[0], position=0)}

    assert not options["10:00"]["stays_on_target"]
    assert options["11:00"]["stays_on_target"]
    assert "12:00" not in options, "the current slot is not offered"
    assert "09:15" not in options, "slots the rules forbid are not offered"


def test_agents_of_another_team_cannot_be_asked_to_swap():
    team, agents = pie_van_day()
    stranger = make_agent(make_centre(team.organization, slug="outbound"))

    with pytest.raises(ValidationError, match="own team"):
        services.lunch_move_request(agent=agents[0], day=DAY, position=0, colleague=stranger)


def test_every_slot_is_judged_exactly_as_an_independent_erlang_c_check_would():
    team, agents = pie_van_day()
    plan = dayplan.load_day_plan(published())
    base = [len(LUNCHES)] * len(CALLS)
    for lunch in LUNCHES:
        base[lunch] -= 1
        base[lunch + 1] -= 1

    for agent, lunch in zip(agents, LUNCHES, strict=True):
        for start in range(len(CALLS) - 1):
            preview = selectors.move_preview(plan, agent, position=0, to_start=start, suggest=0)
            after = list(base)
            for t in (lunch, lunch + 1):
                after[t] += 1
            for t in (start, start + 1):
                after[t] -= 1
            changed = [t for t in range(len(CALLS)) if after[t] != base[t]]
            expected = all(
                erlang_c_service_level(after[t], CALLS[t]) >= TARGET or after[t] >= base[t]
                for t in changed
            )
            # Lunch 1-4 h after the 09:00 start, an hour's work before and after.
            assert preview.allowed == (4 <= start <= 16 and start != lunch), (agent, start)
            assert preview.stays_on_target == expected, (agent, start)
            assert [row["interval"] for row in preview.intervals] == changed


def give_break(agent, *, at: int) -> None:
    """A 15-minute paid break at interval ``at``, before the agent's lunch (position 0)."""
    shift = Shift.objects.get(agent=agent)
    Activity.objects.filter(shift=shift).update(position=1)
    Activity.objects.create(
        shift=shift, kind="break", position=0, start_interval=at, end_interval=at + 1
    )
    services.schedule_refresh_coverage(schedule=published())


def test_a_break_moved_into_the_busy_van_hour_goes_to_the_lead_with_its_erlang_c_cost():
    team, agents = pie_van_day()
    give_break(agents[4], at=8)  # 11:00, before a 13:00 lunch

    move = services.lunch_move_request(agent=agents[4], day=DAY, position=0, to_start=5)

    assert move.kind == "break" and move.status == MoveRequest.Status.PENDING_LEAD
    rows = {row["clock"]: row for row in move.impact}
    assert set(rows) == {"10:15", "11:00"}
    assert rows["10:15"]["service_level_after"] == pytest.approx(erlang_c_service_level(5, 11.0))
    assert rows["10:15"]["below_target_after"]
    assert rows["11:00"]["service_level_after"] == pytest.approx(erlang_c_service_level(6, 8.0))
    assert move.cost_change > 0
    assert move.suggestions and all(o["stays_on_target"] for o in move.suggestions)
    assert {o["clock"] for o in move.suggestions} <= {"11:15", "11:30", "11:45"}
    assert all(o["end_clock"] == CLOCK_AFTER[o["clock"]] for o in move.suggestions), "15 minutes"


CLOCK_AFTER = {"11:15": "11:30", "11:30": "11:45", "11:45": "12:00"}


def test_an_automatic_break_move_lands_in_the_plan_and_leaves_the_lunch_wish_alone():
    team, agents = pie_van_day()
    give_break(agents[4], at=4)  # 10:00, where the six agents are all needed
    Shift.objects.filter(agent=agents[4]).update(lunch_preference_met=False)

    move = services.lunch_move_request(agent=agents[4], day=DAY, position=0, to_start=8)

    assert move.kind == "break" and move.status == MoveRequest.Status.AUTO_APPROVED
    moved = Activity.objects.get(shift__agent=agents[4], position=0)
    assert (moved.kind, moved.start_interval, moved.end_interval) == ("break", 8, 9)
    coverage = published().coverage
    assert (coverage[4]["scheduled"], coverage[8]["scheduled"]) == (6, 5)
    assert coverage[8]["projected_service_level"] == pytest.approx(erlang_c_service_level(5, 8.0))
    assert Shift.objects.get(agent=agents[4]).lunch_preference_met is False


def test_a_break_never_jumps_over_another_break_on_a_day_without_lunch():
    team, agents = pie_van_day()
    shift = Shift.objects.get(agent=agents[0])
    Activity.objects.filter(shift=shift).delete()
    for position, start in enumerate((4, 12)):
        Activity.objects.create(
            shift=shift,
            kind="break",
            position=position,
            start_interval=start,
            end_interval=start + 1,
        )
    plan = dayplan.load_day_plan(services.schedule_refresh_coverage(schedule=published()))

    jump = selectors.move_preview(plan, agents[0], position=0, to_start=17, suggest=0)
    stay = selectors.move_preview(plan, agents[0], position=0, to_start=7, suggest=0)
    options = selectors.slot_options(plan, agents[0], position=0)

    assert not jump.allowed and "order" in jump.reason
    assert stay.allowed
    assert [o["start"] for o in options] == [5, 6, 7], "the first break stays the first"
