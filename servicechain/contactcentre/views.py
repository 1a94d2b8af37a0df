"""Pages of the contact centre: agents' own day, the team's day, leads' requests, planning.

Every view goes through ``org_view`` (log in, member of the organisation) and then the
centre's own rules in ``access`` (deny by default); each validates its input, calls one
selector or service and renders.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_POST

from servicechain.org.access import org_view
from servicechain.org.imports import ImportFailed

from . import access, dayplan, selectors, services
from .charts import (
    daily_volume_chart,
    forecast_chart,
    interval_profile_chart,
    intraday_chart,
    service_level_chart,
)
from .forms import (
    AgentContractForm,
    AnswerForm,
    DayForm,
    DecisionForm,
    ForecastForm,
    GenerateForm,
    IntradayForm,
    MoveForm,
    UploadForm,
    WishesForm,
)
from .models import Agent, MoveRequest, PlanningJob, Schedule


def _day(request, team) -> dt.date:
    form = DayForm(request.GET)
    if form.is_valid() and form.cleaned_data["day"]:
        return form.cleaned_data["day"]
    return selectors.local_today(team)


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --------------------------------------------------------------------------- landing


@require_GET
@org_view()
def home(request, scope):
    teams = list(access.teams(scope))
    agent = access.agent_of(scope)
    if agent is not None and not any(access.can_plan(scope, t) for t in teams):
        return redirect("contactcentre:my_day", scope.organization.slug)
    rows = [
        {
            "team": team,
            "can_plan": access.can_plan(scope, team),
            "today": selectors.published_schedule(team, selectors.local_today(team)),
            "pending": selectors.pending_for_lead(team).count(),
            "forecast": selectors.latest_forecast(team),
        }
        for team in teams
    ]
    return render(
        request, "contactcentre/home.html", {"scope": scope, "rows": rows, "agent": agent}
    )


# --------------------------------------------------------------------------- agents


@require_GET
@org_view()
def my_day(request, scope):
    agent = access.require_agent(scope)
    day = _day(request, agent.team)
    view = selectors.agent_day(agent, day)
    items, partners = view.items(), []
    if view.shift is not None:
        plan = dayplan.load_day_plan(view.schedule)
        for item in items:
            if item["movable"]:
                item["options"] = selectors.slot_options(
                    plan, agent, position=item["position"], now_interval=view.now_interval
                )
        partners = selectors.swap_partners(view.schedule, agent, now_interval=view.now_interval)
    context = {
        "scope": scope,
        "view": view,
        "items": items,
        "lunch": next((i for i in items if i["kind"] == "lunch" and i["movable"]), None),
        "partners": partners,
        "upcoming": selectors.upcoming_days(agent, today=selectors.local_today(agent.team)),
        "wishes": WishesForm(
            team=agent.team,
            initial={
                "lunch_from": agent.preferred_lunch_from,
                "lunch_to": agent.preferred_lunch_to,
                "shift_start": agent.preferred_shift_start,
            },
        ),
    }
    return render(request, "contactcentre/my_day.html", context)


@require_GET
@org_view()
def move_preview(request, scope):
    """HTMX: the projected service level of a move, recomputed as the agent picks a slot."""
    agent = access.require_agent(scope)
    form = MoveForm(request.GET)
    if not form.is_valid():
        return render(request, "contactcentre/_preview.html", {"form_errors": form.errors})
    data = form.cleaned_data
    colleague = _colleague(agent, data.get("colleague"))
    schedule = selectors.published_schedule(agent.team, data["day"])
    if schedule is None:
        raise Http404("No published plan for that day.")
    try:
        preview = selectors.move_preview(
            dayplan.load_day_plan(schedule),
            agent,
            position=data["position"],
            to_start=None if colleague else data.get("to_start"),
            colleague=colleague,
        )
    except ValueError as exc:
        return render(request, "contactcentre/_preview.html", {"error": str(exc)})
    context = {"scope": scope, "preview": preview, "schedule": schedule, "day": data["day"]}
    return render(request, "contactcentre/_preview.html", context)


def _colleague(agent: Agent, pk: int | None) -> Agent | None:
    if not pk:
        return None
    colleague = Agent.objects.filter(pk=pk, team=agent.team, active=True).first()
    if colleague is None:
        raise Http404("No such colleague in your team.")
    return colleague


@require_POST
@org_view()
def move_create(request, scope):
    agent = access.require_agent(scope)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The move was not understood: " + form.errors.as_text())
        return redirect("contactcentre:my_day", scope.organization.slug)
    data = form.cleaned_data
    try:
        move = services.lunch_move_request(
            agent=agent,
            day=data["day"],
            position=data["position"],
            to_start=data.get("to_start"),
            colleague=_colleague(agent, data.get("colleague")),
            note=data.get("note") or "",
            actor=request.user,
        )
        messages.success(request, _move_message(move))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return _my_day(scope, data["day"])


def _my_day(scope, day):
    """Back to the agent's plan of ``day``."""
    url = reverse("contactcentre:my_day", args=[scope.organization.slug])
    return redirect(f"{url}?day={day}")


def _move_message(move: MoveRequest) -> str:
    if move.status == MoveRequest.Status.AUTO_APPROVED:
        return "Done: your plan is updated. Service stays on target."
    if move.status == MoveRequest.Status.PENDING_COLLEAGUE:
        return f"Asked {move.colleague} to swap lunches; you will see their answer here."
    return "Sent to your team lead, with the projected service level and alternative slots."


@require_POST
@org_view()
def move_withdraw(request, scope, pk: int):
    agent = access.require_agent(scope)
    move = get_object_or_404(MoveRequest, pk=pk, agent=agent)
    try:
        services.lunch_move_withdraw(request=move, agent=agent, actor=request.user)
        messages.success(request, "Request withdrawn.")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return _my_day(scope, move.day)


@require_POST
@org_view()
def move_answer(request, scope, pk: int):
    """The colleague's yes or no to a lunch swap."""
    agent = access.require_agent(scope)
    move = get_object_or_404(MoveRequest, pk=pk, colleague=agent)
    form = AnswerForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Answer yes or no.")
        move = services.lunch_move_consent(
            request=move, agent=agent, accept=form.cleaned_data["accept"], actor=request.user
        )
        messages.success(request, f"Swap {move.get_status_display().lower()}.")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return _my_day(scope, move.day)


@require_POST
@org_view()
def break_taken(request, scope, position: int):
    agent = access.require_agent(scope)
    day = selectors.local_today(agent.team)
    try:
        services.break_taken_record(agent=agent, day=day, position=position, actor=request.user)
        messages.success(request, "Enjoy your break.")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("contactcentre:my_day", scope.organization.slug)


@require_POST
@org_view()
def wishes(request, scope):
    agent = access.require_agent(scope)
    form = WishesForm(request.POST, team=agent.team)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.agent_preferences_update(
                agent=agent,
                lunch_from=data["lunch_from"],
                lunch_to=data["lunch_to"],
                shift_start=data["shift_start"],
                actor=request.user,
            )
            messages.success(request, "Your wishes are saved; the next schedules will weigh them.")
        except ValidationError as exc:
            messages.error(request, _errors(exc))
    else:
        messages.error(request, form.errors.as_text())
    return redirect("contactcentre:my_day", scope.organization.slug)


# --------------------------------------------------------------------------- the team's day


@require_GET
@org_view()
def team_day(request, scope, team: str):
    team = access.get_team(scope, team)
    day = _day(request, team)
    schedule = selectors.published_schedule(team, day)
    context = {
        "scope": scope,
        "team": team,
        "day": day,
        "section": "day",
        "schedule": schedule,
        "can_plan": access.can_plan(scope, team),
        "prev_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
    }
    if schedule is not None:
        context |= _schedule_context(schedule, me=access.agent_of(scope, team))
    if context["can_plan"]:
        context["pending"] = selectors.pending_for_lead(team).count()
    return render(request, "contactcentre/team_day.html", context)


def _schedule_context(schedule: Schedule, me: Agent | None = None) -> dict:
    coverage = selectors.coverage_rows(schedule)
    return {
        "timeline": selectors.timeline(schedule, me=me),
        "coverage": coverage,
        "clocks": [row["clock"] for row in coverage],
        "summary": selectors.schedule_summary(schedule),
        "chart": service_level_chart(
            coverage,
            target=schedule.target_service_level,
            title=f"{schedule.team} on {date_format(schedule.day)}",
        ),
    }


# --------------------------------------------------------------------------- team leads


@require_GET
@org_view()
def lead_requests(request, scope, team: str):
    team = access.get_team(scope, team)
    access.require_planner(scope, team)
    context = {
        "scope": scope,
        "team": team,
        "section": "requests",
        "pending": selectors.pending_for_lead(team),
        "recent": selectors.recent_decisions(team),
    }
    return render(request, "contactcentre/lead_requests.html", context)


@require_POST
@org_view()
def move_decide(request, scope, pk: int):
    move = get_object_or_404(MoveRequest.objects.select_related("team__centre__unit"), pk=pk)
    if not access.can_see(scope, move.team):
        raise Http404("No such request.")
    access.require_planner(scope, move.team)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        raise PermissionDenied("Approve or decline.")
    try:
        action = services.lunch_move_approve if form.cleaned_data["decision"] == "approve" else None
        if action:
            move = action(request=move, actor=request.user, note=form.cleaned_data["note"])
        else:
            move = services.lunch_move_decline(
                request=move, actor=request.user, note=form.cleaned_data["note"]
            )
        messages.success(request, f"{move.agent}: {move.get_status_display().lower()}.")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("contactcentre:lead_requests", scope.organization.slug, move.team.slug)


# --------------------------------------------------------------------------- planners


@require_GET
@org_view()
def agents(request, scope, team: str):
    team = access.get_team(scope, team)
    access.require_planner(scope, team)
    roster = selectors.agent_roster(team, today=selectors.local_today(team))
    context = {"scope": scope, "team": team, "section": "agents", "roster": roster}
    return render(request, "contactcentre/agents.html", context)


@org_view()
def agent_edit(request, scope, team: str, pk: int):
    """A planner keeps one agent's contract and wishes; new schedules use them."""
    team = access.get_team(scope, team)
    access.require_planner(scope, team)
    agent = access.get_agent(scope, pk, team=team)
    form = AgentContractForm.of(agent, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.agent_contract_update(agent=agent, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                f"Saved {agent}'s contract and wishes: schedules generated from now on use "
                "them; published days are unchanged.",
            )
            return redirect("contactcentre:agents", scope.organization.slug, team.slug)
    context = {"scope": scope, "team": team, "section": "agents", "agent": agent, "form": form}
    return render(request, "contactcentre/agent_edit.html", context)


def _form_errors(form, exc: ValidationError) -> None:
    """A service's refusal shown at the field it names (or above the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@org_view()
def volumes(request, scope, team: str):
    team = access.get_team(scope, team)
    access.require_planner(scope, team)
    form = UploadForm(request.POST or None, request.FILES or None)
    report, failure = None, None
    if request.method == "POST" and form.is_valid():
        try:
            report = services.volumes_import(
                team=team,
                upload=form.cleaned_data["file"],
                dry_run=form.cleaned_data["dry_run"],
                actor=request.user,
            )
        except ImportFailed as exc:
            failure = exc
    context = {"scope": scope, "team": team, "form": form, "report": report, "failure": failure}
    context["section"] = "volumes"
    context |= _volume_charts(team)
    return render(request, "contactcentre/volumes.html", context)


def _volume_charts(team) -> dict:
    """The stored history per day and per interval of an average day, with the forecast's."""
    summary = selectors.volume_summary(team)
    if not summary["intervals"]:
        return {"summary": summary}
    latest = selectors.latest_forecast(team)
    history = selectors.daily_volumes(team, unfinished=selectors.local_today(team))
    profile = selectors.interval_profile(team)
    return {
        "summary": summary,
        "recent_days": history.tail(14).iloc[::-1].to_dict("records"),
        "daily_chart": daily_volume_chart(
            history, selectors.forecast_daily(latest) if latest else None
        ),
        "profile_chart": interval_profile_chart(
            profile, selectors.forecast_profile(latest) if latest else None
        ),
    }


@org_view()
def forecast(request, scope, team: str):
    team = access.get_team(scope, team)
    access.require_planner(scope, team)
    form = ForecastForm(request.POST or None, today=selectors.local_today(team), team=team)
    if request.method == "POST" and form.is_valid():
        job = services.planning_job_start(
            team=team,
            kind=PlanningJob.Kind.FORECAST,
            parameters={
                "first_day": form.cleaned_data["first_day"].isoformat(),
                "horizon_days": form.cleaned_data["horizon_days"],
            },
            actor=request.user,
        )
        return redirect("contactcentre:job", scope.organization.slug, job.pk)
    latest = selectors.latest_forecast(team)
    context = {
        "scope": scope,
        "team": team,
        "form": form,
        "forecast": latest,
        "section": "forecast",
    }
    if latest is not None:
        context["days"] = selectors.forecast_days(latest)
        context["chart"] = forecast_chart(selectors.forecast_frame(latest))
    context["jobs"] = selectors.jobs(team)
    return render(request, "contactcentre/forecast.html", context)


@org_view()
def schedules(request, scope, team: str):
    team = access.get_team(scope, team)
    access.require_planner(scope, team)
    form = GenerateForm(request.POST or None, today=selectors.local_today(team), team=team)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        job = services.planning_job_start(
            team=team,
            kind=PlanningJob.Kind.SCHEDULE,
            parameters={
                "first_day": data["first_day"].isoformat(),
                "days": data["days"],
                "time_limit_s": data["time_limit_s"],
            },
            actor=request.user,
        )
        return redirect("contactcentre:job", scope.organization.slug, job.pk)
    context = {
        "scope": scope,
        "team": team,
        "form": form,
        "section": "schedules",
        "schedules": selectors.recent_schedules(team),
        "jobs": selectors.jobs(team),
    }
    return render(request, "contactcentre/schedules.html", context)


def _planned_schedule(scope, pk: int) -> Schedule:
    schedule = get_object_or_404(Schedule.objects.select_related("team__centre__unit"), pk=pk)
    if not access.can_see(scope, schedule.team):
        raise Http404("No such schedule.")
    access.require_planner(scope, schedule.team)
    return schedule


@require_GET
@org_view()
def schedule_detail(request, scope, pk: int):
    schedule = _planned_schedule(scope, pk)
    context = {"scope": scope, "team": schedule.team, "schedule": schedule, "section": "schedules"}
    context |= _schedule_context(schedule)
    context["moved"] = schedule.intraday_notes.get("moved", [])
    context["agent_names"] = {a.pk: str(a) for a in selectors.agents_of_team(schedule.team)}
    return render(request, "contactcentre/schedule_detail.html", context)


@require_POST
@org_view()
def schedule_publish(request, scope, pk: int):
    schedule = _planned_schedule(scope, pk)
    try:
        services.schedule_publish(schedule=schedule, actor=request.user)
        messages.success(request, f"Published the plan for {date_format(schedule.day)}.")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("contactcentre:schedule", scope.organization.slug, schedule.pk)


@org_view()
def intraday(request, scope, team: str):
    team = access.get_team(scope, team)
    access.require_planner(scope, team)
    day = selectors.local_today(team)
    form = IntradayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        job = services.planning_job_start(
            team=team,
            kind=PlanningJob.Kind.INTRADAY,
            parameters={"day": day.isoformat(), "time_limit_s": form.cleaned_data["time_limit_s"]},
            actor=request.user,
        )
        return redirect("contactcentre:job", scope.organization.slug, job.pk)
    context = {"scope": scope, "team": team, "day": day, "form": form, "section": "intraday"}
    context |= selectors.intraday_status(team, day)
    if context.get("rows"):
        target = context["published"].target_service_level
        context["chart"] = intraday_chart(context["rows"], target=target)
    return render(request, "contactcentre/intraday.html", context)


@require_GET
@org_view()
def job(request, scope, pk: int):
    """A job's progress; the page polls itself with HTMX until the job has finished."""
    planning_job = get_object_or_404(
        PlanningJob.objects.select_related("team__centre__unit"), pk=pk
    )
    if not access.can_see(scope, planning_job.team):
        raise Http404("No such job.")
    access.require_planner(scope, planning_job.team)
    context = {
        "scope": scope,
        "job": planning_job,
        "team": planning_job.team,
        "job_schedules": selectors.job_schedules(planning_job),
    }
    # The partial carries the polling trigger only while the job runs, so polling stops
    # by itself once the finished state has been swapped in.
    template = "contactcentre/_job.html" if request.htmx else "contactcentre/job.html"
    return render(request, template, context)
