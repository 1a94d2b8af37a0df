"""Pages of recognition, under /o/<org>/recognition/. Each view: check access, call one
selector or service, render. Deny by default through `org_view`; what a role may do is
asked of `predicates`; a refused act is a 4xx with the reason and changes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from servicechain.insights.exports import csv_response, maybe_export
from servicechain.org.access import org_view

from . import charts, predicates, selectors, services
from .access import viewer_of
from .forms import GiveKudosForm, GoalForm, quarter_of
from .models import Badge, Report


def _viewer(request, scope):
    viewer = getattr(request, "_recognition_viewer", None)
    if viewer is None:
        viewer = request._recognition_viewer = viewer_of(scope)
    return viewer


def _errors(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(m for ms in error.message_dict.values() for m in ms)
    return " ".join(error.messages)


def _back(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else fallback


# --------------------------------------------------------------------------- feed and kudos


@require_GET
@org_view()
def feed(request, scope):
    viewer = _viewer(request, scope)
    page = selectors.feed(viewer, cursor=request.GET.get("before"))
    context = {"scope": scope, "viewer": viewer, "page": page}
    context["values"] = selectors.active_values(scope.organization)
    context["allowance_left"] = (
        selectors.allowance_left(viewer.employee) if viewer.employee else None
    )
    return render(request, "recognition/feed.html", context)


@require_http_methods(["GET", "POST"])
@org_view()
def give(request, scope):
    viewer = _viewer(request, scope)
    if not predicates.gives_kudos(viewer):
        raise PermissionDenied("Kudos are given by employees; your login has no employee record.")
    form = GiveKudosForm(request.POST or None, viewer=viewer, initial={"points": 0})
    if request.method == "POST" and form.is_valid():
        try:
            kudos = services.kudos_give(
                giver=viewer.employee, actor=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            form.add_error(None, _errors(error))
        else:
            messages.success(request, "Your kudos is posted.")
            return redirect("recognition:kudos", scope.organization.slug, kudos.pk)
    context = {"scope": scope, "viewer": viewer, "form": form}
    context["teammates"] = selectors.teammates(viewer)
    context["chosen"] = form.chosen if form.is_bound else []
    context["allowance_left"] = selectors.allowance_left(viewer.employee)
    status = 422 if request.method == "POST" else 200
    return render(request, "recognition/give.html", context, status=status)


@require_GET
@org_view()
def colleague_search(request, scope):
    """Colleagues matching the search box (HTMX): each with an Add button."""
    # a NUL is no letter of a name, and PostgreSQL refuses it in a query
    query = request.GET.get("q", "").replace("\x00", "")[:100]
    people = selectors.colleagues(_viewer(request, scope), query=query)
    return render(
        request,
        "recognition/_colleagues.html",
        {"scope": scope, "people": people, "q": query},
    )


@require_GET
@org_view()
def colleague_chip(request, scope):
    """One chosen colleague (HTMX appends it to the form as a ticked box)."""
    try:
        person = services.active_employee(scope.organization, request.GET.get("id"))
    except ValidationError as error:
        return HttpResponse(_errors(error), status=404, content_type="text/plain")
    return render(request, "recognition/_chip.html", {"person": person})


def _kudos_page(request, scope, viewer, kudos, *, error=None, typed=None, status=200):
    context = {"scope": scope, "viewer": viewer, "post": selectors.posts(viewer, [kudos])[0]}
    context["comments"] = selectors.comments_of(kudos)
    context["reactions"] = selectors.reactions_of(kudos)
    context["moderates"] = predicates.moderates(viewer)
    context["error"], context["typed"] = error, typed or {}
    return render(request, "recognition/kudos.html", context, status=status)


@require_GET
@org_view()
def kudos_detail(request, scope, kudos_id: int):
    viewer = _viewer(request, scope)
    return _kudos_page(request, scope, viewer, selectors.kudos_of(viewer, kudos_id))


@require_POST
@org_view()
def react(request, scope, kudos_id: int):
    viewer = _viewer(request, scope)
    kudos = selectors.kudos_of(viewer, kudos_id)
    try:
        services.reaction_toggle(viewer=viewer, kudos=kudos, kind=request.POST.get("kind", ""))
    except ValidationError as error:
        return HttpResponse(_errors(error), status=422, content_type="text/plain")
    post = selectors.posts(viewer, [kudos])[0]
    if request.htmx:
        return render(request, "recognition/_reactions.html", {"scope": scope, "post": post})
    return redirect(
        _back(request, reverse("recognition:kudos", args=[scope.organization.slug, kudos.pk]))
    )


def _kudos_action(request, scope, kudos_id, act, done: str):
    """Do `act`; refused, the post's page again with the reason and what was typed (422)."""
    viewer = _viewer(request, scope)
    kudos = selectors.kudos_of(viewer, kudos_id)
    try:
        act(viewer, kudos)
    except ValidationError as error:
        typed = {key: request.POST.get(key, "") for key in ("text", "reason")}
        return _kudos_page(
            request, scope, viewer, kudos, error=_errors(error), typed=typed, status=422
        )
    messages.success(request, done)
    return redirect(reverse("recognition:kudos", args=[scope.organization.slug, kudos.pk]))


@require_POST
@org_view()
def comment(request, scope, kudos_id: int):
    return _kudos_action(
        request,
        scope,
        kudos_id,
        lambda v, k: services.comment_add(viewer=v, kudos=k, text=request.POST.get("text", "")),
        "Comment added.",
    )


@require_POST
@org_view()
def report(request, scope, kudos_id: int):
    return _kudos_action(
        request,
        scope,
        kudos_id,
        lambda v, k: services.kudos_report(
            viewer=v, kudos=k, reason=request.POST.get("reason", "")
        ),
        "Thank you: the admins will look at this post.",
    )


@require_POST
@org_view()
def make_private(request, scope, kudos_id: int):
    private = request.POST.get("private", "1") == "1"
    return _kudos_action(
        request,
        scope,
        kudos_id,
        lambda v, k: services.kudos_make_private(viewer=v, kudos=k, private=private),
        "Only you and the giver see it now." if private else "It shows again as it was posted.",
    )


@require_POST
@org_view()
def hide(request, scope, kudos_id: int):
    viewer = _viewer(request, scope)
    if not predicates.moderates(viewer):
        raise PermissionDenied("Only an admin can hide a post.")
    kudos = selectors.kudos_for_moderation(scope.organization, kudos_id)
    try:
        services.kudos_hide(viewer=viewer, kudos=kudos, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, _errors(error))
        return _moderation_page(request, scope, viewer, status=422)
    messages.success(request, "The post is hidden from everyone.")
    return redirect("recognition:moderation", scope.organization.slug)


# --------------------------------------------------------------------------- people


@require_GET
@org_view()
def me(request, scope):
    viewer = _viewer(request, scope)
    if viewer.employee is None:
        messages.info(request, "Your login has no employee record, so it has no profile.")
        return redirect("recognition:feed", scope.organization.slug)
    return redirect("recognition:profile", scope.organization.slug, viewer.employee.pk)


@require_GET
@org_view()
def profile(request, scope, employee_id: int):
    viewer = _viewer(request, scope)
    return _profile_page(request, scope, viewer, selectors.employee_of(viewer, employee_id))


def _profile_page(request, scope, viewer, person, *, status: int = 200):
    context = {"scope": scope, "viewer": viewer, "profile": selectors.profile(viewer, person)}
    context["badges"] = selectors.badges(scope.organization) if context["profile"].can_award else []
    context["show_points"] = selectors.settings_of(scope.organization).show_points
    return render(request, "recognition/profile.html", context, status=status)


# --------------------------------------------------------------------------- fairness


@require_GET
@org_view()
def fairness(request, scope):
    viewer = _viewer(request, scope)
    if not predicates.sees_fairness(viewer):
        raise PermissionDenied("Managers, HR and admins read how recognition is spread.")
    services.spread_publish(organization=scope.organization)
    spread = selectors.recognition_spread(viewer, unit_id=request.GET.get("unit"))
    exported = maybe_export(request, scope, {"spread": spread.records})
    if exported:
        return exported
    context = {"scope": scope, "viewer": viewer, "spread": spread, "rows": spread.latest()}
    context["people"] = selectors.unrecognised(viewer)
    context["chart"] = charts.gini_by_month(spread)
    context["breadcrumb"] = [u for u in _ancestors(scope, spread.focus)]
    return render(request, "recognition/fairness.html", context)


def _ancestors(scope, unit):
    from servicechain.org.models import Unit

    ancestors = Unit.objects.filter(pk__in=unit.ancestor_ids()).order_by("depth")
    return [u for u in ancestors if scope.can_see_unit(u)]


# --------------------------------------------------------------------------- goals


def _quarters(today=None):
    year, quarter = selectors.current_quarter(today)
    previous = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    following = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
    return [previous, (year, quarter), following]


@require_GET
@org_view()
def goals(request, scope):
    year, quarter = selectors.parse_quarter(request.GET.get("quarter"))
    return _goals_page(request, scope, year, quarter)


def _goals_page(request, scope, year: int, quarter: int, *, status: int = 200):
    viewer = _viewer(request, scope)
    listed = list(selectors.goals_for(viewer, year=year, quarter=quarter))
    rows = [
        {
            "goal": g,
            "score": g.final_score if g.final_score is not None else selectors.goal_score(g),
        }
        for g in listed
    ]
    quarters = sorted(set(_quarters()) | set(selectors.quarters_with_goals(viewer)), reverse=True)
    context = {"scope": scope, "viewer": viewer, "rows": rows, "year": year, "quarter": quarter}
    context["quarters"] = quarters
    context["closes"] = predicates.closes_quarters(viewer) and any(
        g.status == "open" for g in listed
    )
    context["can_create"] = bool(
        selectors.goal_owners(viewer)[0] or selectors.goal_owners(viewer)[1]
    )
    return render(request, "recognition/goals.html", context, status=status)


@require_http_methods(["GET", "POST"])
@org_view()
def goal_create(request, scope):
    viewer = _viewer(request, scope)
    year, quarter = selectors.current_quarter()
    form = GoalForm(
        request.POST or None,
        viewer=viewer,
        quarters=_quarters(),
        initial={"quarter": f"{year}-Q{quarter}"},
    )
    if not form.fields["owner"].choices:
        raise PermissionDenied("Your login has no employee record and manages nobody.")
    if request.method == "POST" and form.is_valid():
        try:
            goal = services.goal_create(viewer=viewer, **form.service_arguments())
        except ValidationError as error:
            form.add_error(None, _errors(error))
        else:
            messages.success(request, f"Goal “{goal.title}” set for {goal.quarter_label}.")
            return redirect("recognition:goal", scope.organization.slug, goal.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "recognition/goal_form.html", {"scope": scope, "form": form}, status=status
    )


@require_http_methods(["GET", "POST"])
@org_view()
def goal_detail(request, scope, goal_id: int):
    viewer = _viewer(request, scope)
    goal = selectors.goal_of(viewer, goal_id)
    results = list(goal.key_results.all())
    typed, comment, error = {}, "", None
    if request.method == "POST":
        typed = {str(kr.pk): request.POST.get(f"kr-{kr.pk}", "") for kr in results}
        comment = request.POST.get("comment", "")
        try:
            services.goal_check_in(viewer=viewer, goal=goal, values=typed, comment=comment)
        except ValidationError as err:
            error = _errors(err)  # shown with what was typed, nothing saved
        else:
            messages.success(request, "Check-in saved.")
            return redirect("recognition:goal", scope.organization.slug, goal.pk)
    context = {"scope": scope, "viewer": viewer, "goal": goal, "error": error}
    context["check_ins"] = goal.check_ins.select_related("author")
    context["comment"] = comment
    context["results"] = [
        {
            "kr": kr,
            "progress": round(100 * selectors.key_result_progress(kr)),
            "value": typed.get(str(kr.pk), kr.current.normalize()),
        }
        for kr in results
    ]
    context["score"] = (
        goal.final_score if goal.final_score is not None else selectors.goal_score(goal)
    )
    return render(request, "recognition/goal.html", context, status=422 if error else 200)


@require_POST
@org_view()
def goals_close(request, scope):
    viewer = _viewer(request, scope)
    try:
        year, quarter = quarter_of(request.POST.get("quarter"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        year, quarter = selectors.current_quarter()
        return _goals_page(request, scope, year, quarter, status=422)
    count = services.goals_close_quarter(viewer=viewer, year=year, quarter=quarter)
    messages.success(
        request,
        f"{count} goal{'s' if count != 1 else ''} of {year} Q{quarter} archived with their scores.",
    )
    return redirect(
        f"{reverse('recognition:goals', args=[scope.organization.slug])}?quarter={year}-Q{quarter}"
    )


# --------------------------------------------------------------------------- spot bonuses


@require_http_methods(["GET", "POST"])
@org_view()
def bonuses(request, scope):
    viewer = _viewer(request, scope)
    failed = False
    if request.method == "POST":
        person = selectors.bonus_candidates(viewer)
        chosen = next((p for p in person if str(p.pk) == request.POST.get("employee")), None)
        try:
            if chosen is None:
                raise ValidationError({"employee": "Choose one of the people you manage."})
            services.spot_bonus_nominate(
                viewer=viewer,
                employee=chosen,
                amount=request.POST.get("amount", ""),
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as error:
            messages.error(request, _errors(error))
            failed = True
        else:
            messages.success(request, f"{chosen.full_name} is nominated; the payout follows.")
            return redirect("recognition:bonuses", scope.organization.slug)
    return _bonuses_page(request, scope, viewer, status=422 if failed else 200)


def _bonuses_page(request, scope, viewer, *, status: int = 200):
    year = timezone.localdate().year
    context = {"scope": scope, "viewer": viewer, "year": year, "posted": request.POST}
    context["bonuses"] = selectors.spot_bonuses(viewer)[:100]
    context["candidates"] = selectors.bonus_candidates(viewer)
    context["budget"] = (
        selectors.budget_status(scope.organization, request.user)
        if predicates.is_manager(viewer)
        else None
    )
    context["budgets"] = (
        selectors.manager_budgets(scope.organization, year=year)
        if predicates.sets_budgets(viewer)
        else None
    )
    return render(request, "recognition/bonuses.html", context, status=status)


@require_POST
@org_view()
def budget_set(request, scope):
    from servicechain.org.models import Membership

    viewer = _viewer(request, scope)
    if not predicates.sets_budgets(viewer):
        raise PermissionDenied("Only HR or an admin sets spot-bonus budgets.")
    membership = (
        Membership.objects.filter(
            organization=scope.organization, pk=request.POST.get("membership") or 0
        )
        .select_related("user")
        .first()
    )
    try:
        if membership is None:
            raise ValidationError({"manager": "Choose a manager."})
        services.spot_bonus_budget_set(
            viewer=viewer,
            manager=membership.user,
            year=timezone.localdate().year,
            amount=request.POST.get("amount", ""),
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
        return _bonuses_page(request, scope, viewer, status=422)
    messages.success(request, "Budget saved.")
    return redirect("recognition:bonuses", scope.organization.slug)


@require_POST
@org_view()
def bonus_cancel(request, scope, bonus_id: int):
    viewer = _viewer(request, scope)
    bonus = selectors.spot_bonuses(viewer).filter(pk=bonus_id).first()
    if bonus is None:
        raise Http404("No such spot bonus.")
    try:
        services.spot_bonus_cancel(
            viewer=viewer, bonus=bonus, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
        return _bonuses_page(request, scope, viewer, status=422)
    messages.success(request, "The spot bonus is cancelled.")
    return redirect("recognition:bonuses", scope.organization.slug)


# --------------------------------------------------------------------------- moderation, points


@require_GET
@org_view()
def moderation(request, scope):
    viewer = _viewer(request, scope)
    if not predicates.moderates(viewer):
        raise PermissionDenied("Only admins moderate posts.")
    return _moderation_page(request, scope, viewer)


def _moderation_page(request, scope, viewer, *, status: int = 200):
    context = {
        "scope": scope,
        "viewer": viewer,
        "reports": selectors.open_reports(scope.organization),
    }
    context["decided"] = selectors.recent_reports(scope.organization)
    return render(request, "recognition/moderation.html", context, status=status)


@require_POST
@org_view()
def report_dismiss(request, scope, report_id: int):
    viewer = _viewer(request, scope)
    if not predicates.moderates(viewer):
        raise PermissionDenied("Only admins moderate posts.")
    found = Report.objects.filter(kudos__organization=scope.organization, pk=report_id).first()
    if found is None:
        raise Http404("No such report.")
    try:
        services.report_dismiss(viewer=viewer, report=found)
    except ValidationError as error:
        messages.error(request, _errors(error))
        return _moderation_page(request, scope, viewer, status=422)
    messages.success(request, "Report dismissed; the post stays.")
    return redirect("recognition:moderation", scope.organization.slug)


@require_http_methods(["GET", "POST"])
@org_view()
def points(request, scope):
    viewer = _viewer(request, scope)
    if not predicates.exports_points(viewer):
        raise PermissionDenied("Only admins export points for redemption.")
    if request.method == "POST":
        try:
            minimum = int(request.POST.get("minimum_points", "1"))
            redemption = services.points_redeem_export(viewer=viewer, minimum_points=minimum)
        except (ValueError, ValidationError) as error:
            text = (
                _errors(error)
                if isinstance(error, ValidationError)
                else "A whole number of points, at least 1."
            )
            messages.error(request, text)
            return _points_page(request, scope, viewer, status=422)
        messages.success(
            request, f"{redemption.points:,} points of {redemption.people} people exported."
        )
        return redirect("recognition:points", scope.organization.slug)
    return _points_page(request, scope, viewer)


def _points_page(request, scope, viewer, *, status: int = 200):
    context = {"scope": scope, "viewer": viewer}
    context["redemptions"] = selectors.redemptions(scope.organization)[:50]
    context["waiting"] = selectors.redeemable_balances(scope.organization)
    context["waiting_points"] = sum(row["balance"] for row in context["waiting"])
    return render(request, "recognition/points.html", context, status=status)


@require_GET
@org_view()
def redemption_csv(request, scope, redemption_id: int):
    viewer = _viewer(request, scope)
    if not predicates.exports_points(viewer):
        raise PermissionDenied("Only admins export points for redemption.")
    found = selectors.redemptions(scope.organization).filter(pk=redemption_id).first()
    if found is None:
        raise Http404("No such redemption.")
    return csv_response(
        scope,
        table=f"points-redemption-{found.pk}",
        records=selectors.redemption_rows(found),
        parameters={"redemption": found.pk},
    )


# --------------------------------------------------------------------------- achievements


@require_GET
@org_view()
def achievements(request, scope):
    viewer = _viewer(request, scope)
    context = {"scope": scope, "viewer": viewer, "badges": selectors.badges(scope.organization)}
    context["rules"] = selectors.achievement_rules(scope.organization)
    context["last_run"] = selectors.last_run(scope.organization)
    context["runs_rules"] = predicates.runs_achievements(viewer)
    context["recent"] = selectors.recent_awards(scope.organization)
    return render(request, "recognition/achievements.html", context)


@require_POST
@org_view()
def achievements_run(request, scope):
    viewer = _viewer(request, scope)
    if not predicates.runs_achievements(viewer):
        raise PermissionDenied("Only admins run the achievement rules.")
    run = services.achievements_request(organization=scope.organization, actor=request.user)
    run.refresh_from_db()
    messages.success(
        request,
        f"Rules run: {run.awarded} new badge{'s' if run.awarded != 1 else ''}."
        if run.status == "done"
        else "The rules are running in the background; reload in a moment.",
    )
    return redirect("recognition:achievements", scope.organization.slug)


@require_POST
@org_view()
def award_grant(request, scope, employee_id: int):
    viewer = _viewer(request, scope)
    person = selectors.employee_of(viewer, employee_id)
    badge = Badge.objects.filter(
        organization=scope.organization, pk=request.POST.get("badge") or 0
    ).first()
    try:
        if badge is None:
            raise ValidationError({"badge": "Choose a badge."})
        services.award_grant(
            viewer=viewer, badge=badge, employee=person, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
        return _profile_page(request, scope, viewer, person, status=422)
    messages.success(request, f"{person.full_name} earned {badge.name}.")
    return redirect("recognition:profile", scope.organization.slug, person.pk)


@require_GET
@org_view()
def award_detail(request, scope, award_id: int):
    viewer = _viewer(request, scope)
    award = selectors.award_of(viewer, award_id)
    return render(
        request, "recognition/award.html", {"scope": scope, "viewer": viewer, "award": award}
    )
