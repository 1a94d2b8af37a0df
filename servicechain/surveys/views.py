"""Pages of the surveys app, under /o/<org>/surveys/ (server-rendered, HTMX for small swaps).

Staff pages (instruments, wave set-up, mailing, imports, psychometrics) are for admins and
HR analysts; the results page is for every member, within their scope. Every number on
them comes from `selectors`, through the anonymity gate.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from servicechain.org import services as org_services
from servicechain.org.access import Role, org_view
from servicechain.org.imports import ImportFailed
from servicechain.org.selectors import subtree_headcounts

from . import selectors, services
from .bank import load_bank
from .forms import ImportForm, InstrumentForm, ItemForm, WaveForm, form_sections
from .models import Item, Population, Wave
from .questions import questions_of
from .tokens import lookup_hash

STAFF = (Role.ADMIN, Role.HR_ANALYST)
ANSWER_COOKIE = "survey_link_{wave}"


def _problem(request, error: ValidationError) -> None:
    for message in getattr(error, "messages", [str(error)]):
        messages.error(request, message)


# --------------------------------------------------------------------------- waves


@org_view()
def waves(request, scope):
    waves = list(selectors.waves_for(scope))
    for wave in waves:
        wave.my_invitation = selectors.my_open_invitation(scope, wave)
    return render(
        request,
        "surveys/waves.html",
        {"scope": scope, "waves": waves, "is_staff": scope.has_role(*STAFF)},
    )


@org_view(*STAFF)
def wave_create(request, scope):
    form = WaveForm(request.POST or None, scope=scope, initial={"audience_unit": scope.root_unit})
    if request.method == "POST" and form.is_valid():
        try:
            wave = services.wave_create(
                organization=scope.organization, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"“{wave.name}” is planned. Open it when you are ready.")
            return redirect("surveys:wave", scope.organization.slug, wave.pk)
    return render(request, "surveys/wave_form.html", {"scope": scope, "form": form})


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


@org_view(*STAFF)
def wave_detail(request, scope, wave_id: int):
    wave = selectors.wave_for(scope, wave_id)
    return render(
        request,
        "surveys/wave_detail.html",
        {
            "scope": scope,
            "wave": wave,
            "mailing": selectors.invitation_summary(wave),
            "rates": selectors.response_rates(scope, wave),
            "min_n": scope.organization.min_group_size,
            "can_repeat": wave.cadence != Wave.Cadence.NONE,
            "starts_later": wave.opens_at > timezone.now(),
            "audience_size": subtree_headcounts(scope).get(wave.audience_unit_id, 0),
        },
    )


WAVE_ACTIONS = {
    # "early" is posted only by the button that says it opens before the planned start.
    "open": (
        lambda wave, request: services.wave_open(
            wave=wave, actor=request.user, early=request.POST.get("early") == "1"
        ),
        "The wave is open.",
    ),
    "schedule": (
        lambda wave, request: services.wave_schedule_open(wave=wave, actor=request.user),
        "The wave keeps its planned start and opens by itself then.",
    ),
    "unschedule": (
        lambda wave, request: services.wave_schedule_open(
            wave=wave, actor=request.user, scheduled=False
        ),
        "The wave will not open by itself; open it from this page when you are ready.",
    ),
    "close": (
        lambda wave, request: services.wave_close(wave=wave, actor=request.user),
        "The wave is closed.",
    ),
    "send": (
        lambda wave, request: services.invitation_send(wave=wave, actor=request.user),
        "Invitations sent: {invited} new, {emailed} e-mailed, {without_email} without an e-mail address.",
    ),
    "remind": (
        lambda wave, request: services.invitation_remind(wave=wave, actor=request.user),
        "Reminders e-mailed: {emailed}.",
    ),
}


@require_POST
@org_view(*STAFF)
def wave_action(request, scope, wave_id: int, action: str):
    wave = selectors.wave_for(scope, wave_id)
    if action == "next":
        try:
            following = services.wave_create_next(wave=wave, actor=request.user)
        except ValidationError as error:
            _problem(request, error)
            return redirect("surveys:wave", scope.organization.slug, wave.pk)
        messages.success(request, f"“{following.name}” is planned.")
        return redirect("surveys:wave", scope.organization.slug, following.pk)
    if action not in WAVE_ACTIONS:
        raise PermissionDenied("Unknown action.")
    run, done = WAVE_ACTIONS[action]
    try:
        result = run(wave, request)
    except ValidationError as error:
        _problem(request, error)
    else:
        counts = result.as_dict() if hasattr(result, "as_dict") else {}
        messages.success(request, done.format(**counts))
    return redirect("surveys:wave", scope.organization.slug, wave.pk)


@require_POST
@org_view()
def wave_answer(request, scope, wave_id: int):
    """A signed-in employee's own link to an open wave: reuse the one in their browser, else
    issue a fresh one. The link lives only in their cookie, never on the server."""
    wave = selectors.wave_for(scope, wave_id)
    invitation = selectors.my_open_invitation(scope, wave)
    if invitation is None:
        messages.error(request, "You have no unanswered invitation to this survey.")
        return redirect("surveys:waves", scope.organization.slug)
    cookie = ANSWER_COOKIE.format(wave=wave.pk)
    token = request.COOKIES.get(cookie, "")
    if not token or lookup_hash(token) != invitation.token_hash:
        try:
            token = services.invitation_issue_link(wave=wave, employee=invitation.employee)
        except (ValidationError, services.SurveyLinkError) as error:
            messages.error(request, str(error))
            return redirect("surveys:waves", scope.organization.slug)
    response = redirect("respond:form", token)
    response.set_cookie(
        cookie,
        token,
        max_age=int((wave.closes_at - wave.opens_at).total_seconds()),
        path=reverse("surveys:waves", args=[scope.organization.slug]),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    return response


# --------------------------------------------------------------------------- results


@org_view()
def wave_results(request, scope, wave_id: int):
    wave = selectors.wave_for(scope, wave_id)
    published = services.results_ensure(wave=wave)
    by_unit = selectors.results_by_unit(scope, wave, published)
    for row in by_unit.rows:
        row["cells"] = [row["scores"][code] for code, _ in by_unit.scales]
    shown = published.ready and scope.root_unit
    return render(
        request,
        "surveys/results.html",
        {
            "scope": scope,
            "wave": wave,
            "published": published,
            "headline": selectors.headline(by_unit),
            "results": by_unit,
            "units": scope.units(),
            "dimensions": selectors.DIMENSIONS,
            "comments": selectors.comments(scope, wave, results=published) if shown else None,
            "breakdown": selectors.breakdown(
                scope, wave, dimension="tenure_band", results=published
            )
            if shown and wave.kind != Wave.Kind.CUSTOMER
            else None,
            "can_see_psychometrics": selectors.can_see_psychometrics(scope, wave),
            "is_staff": scope.has_role(*STAFF),
        },
    )


@org_view()
def wave_breakdown(request, scope, wave_id: int):
    wave = selectors.wave_for(scope, wave_id)
    dimension = request.GET.get("dimension", "tenure_band")
    if dimension not in selectors.DIMENSIONS:
        dimension = "tenure_band"
    unit = scope.get_unit(request.GET["unit"]) if request.GET.get("unit") else None
    published = services.results_ensure(wave=wave)
    result = selectors.breakdown(scope, wave, dimension=dimension, unit=unit, results=published)
    return render(
        request, "surveys/_breakdown.html", {"breakdown": result, "wave": wave, "scope": scope}
    )


@org_view()
def wave_comments(request, scope, wave_id: int):
    wave = selectors.wave_for(scope, wave_id)
    unit = scope.get_unit(request.GET["unit"]) if request.GET.get("unit") else None
    published = services.results_ensure(wave=wave)
    result = selectors.comments(scope, wave, unit=unit, results=published)
    return render(request, "surveys/_comments.html", {"comments": result})


@org_view()
def wave_psychometrics(request, scope, wave_id: int):
    wave = selectors.wave_for(scope, wave_id)
    if not selectors.can_see_psychometrics(scope, wave):
        raise PermissionDenied(
            "Only administrators, HR analysts and the instrument's owner see this."
        )
    services.results_ensure(wave=wave)
    return render(
        request,
        "surveys/psychometrics.html",
        {"scope": scope, "wave": wave, "report": selectors.psychometrics_report(wave)},
    )


# --------------------------------------------------------------------------- import


@org_view(*STAFF)
def wave_import(request, scope, wave_id: int):
    wave = selectors.wave_for(scope, wave_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    failure = report = None
    if request.method == "POST" and form.is_valid():
        try:
            mapping = json.loads(form.cleaned_data["mapping"] or "{}")
        except json.JSONDecodeError as exc:
            form.add_error("mapping", f"This is not valid JSON: {exc}")
        else:
            try:
                report = _run_import(scope, wave, form.cleaned_data, mapping, request.user)
            except ImportFailed as exc:
                failure = exc
    codes = [q.code for q in questions_of(wave.instrument)]
    return render(
        request,
        "surveys/import.html",
        {
            "scope": scope,
            "wave": wave,
            "form": form,
            "failure": failure,
            "report": report,
            "codes": codes,
        },
        status=422 if failure else 200,
    )


def _run_import(scope, wave, data, mapping, user):
    return org_services.import_upload(
        organization=scope.organization,
        kind="responses",
        upload=data["file"],
        dry_run=data["dry_run"],
        actor=user,
        options={"wave": str(wave.pk), "mapping": mapping},
    )


# --------------------------------------------------------------------------- instruments


@org_view(*STAFF)
def instruments(request, scope):
    form = InstrumentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            instrument = services.instrument_create(
                organization=scope.organization,
                owner=request.user,
                actor=request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return redirect("surveys:instrument", scope.organization.slug, instrument.pk)
    return render(
        request,
        "surveys/instruments.html",
        {"scope": scope, "instruments": selectors.instruments_for(scope), "form": form},
    )


@org_view(*STAFF)
def instrument_detail(request, scope, instrument_id: int):
    instrument = selectors.instrument_for(scope, instrument_id)
    return render(request, "surveys/instrument.html", _compose_context(scope, instrument))


def _compose_context(scope, instrument, item_form=None) -> dict:
    bank = load_bank()
    asked = {q.code for q in questions_of(instrument)}
    available = [
        i for i in bank.items if i.population == instrument.population and i.code not in asked
    ]
    own = Item.objects.filter(
        organization=scope.organization, population=instrument.population
    ).exclude(code__in=asked)
    return {
        "scope": scope,
        "instrument": instrument,
        "questions": questions_of(instrument),
        "locked": instrument.waves.exclude(status=Wave.Status.DRAFT).exists(),
        "available": available,
        "scales": bank.scales,
        "own_items": own,
        "item_form": item_form or ItemForm(),
        "flags": selectors.reliability_flags(instrument),
    }


@org_view(*STAFF)
def instrument_preview(request, scope, instrument_id: int):
    instrument = selectors.instrument_for(scope, instrument_id)
    back = reverse("surveys:instrument", args=[scope.organization.slug, instrument.pk])
    return _preview(request, scope, instrument, instrument.name, None, back, instrument.name)


@org_view(*STAFF)
def wave_preview(request, scope, wave_id: int):
    wave = selectors.wave_for(scope, wave_id)
    back = reverse("surveys:wave", args=[scope.organization.slug, wave.pk])
    return _preview(request, scope, wave.instrument, wave.name, wave.closes_at, back, wave.name)


def _preview(request, scope, instrument, name, closes_at, back_url, back_label):
    """The respondent's form for `instrument`, read-only: no link, no token, nothing stored."""
    questions = questions_of(instrument)
    return render(
        request,
        "surveys/preview.html",
        {
            "survey_name": name,
            "organization": scope.organization,
            "closes_at": closes_at,
            "sections": form_sections(questions, {}, {}),
            "total": len(questions),
            "is_employee": instrument.population != Population.CUSTOMER,
            "back_url": back_url,
            "back_label": back_label,
        },
    )


@require_POST
@org_view(*STAFF)
def instrument_edit(request, scope, instrument_id: int, action: str):
    instrument = selectors.instrument_for(scope, instrument_id)
    code = request.POST.get("code", "")
    try:
        if action == "add":
            services.instrument_item_add(instrument=instrument, code=code, actor=request.user)
        elif action == "remove":
            services.instrument_item_remove(instrument=instrument, code=code, actor=request.user)
        elif action == "move":
            services.instrument_item_move(
                instrument=instrument, code=code, position=int(request.POST.get("position", 1))
            )
        elif action == "required":
            services.instrument_item_set_required(
                instrument=instrument, code=code, required=request.POST.get("required") == "1"
            )
        else:
            raise PermissionDenied("Unknown action.")
    except (ValidationError, ValueError) as error:
        _problem(
            request, error if isinstance(error, ValidationError) else ValidationError(str(error))
        )
    instrument.refresh_from_db()
    if request.htmx:
        return render(request, "surveys/_questions.html", _compose_context(scope, instrument))
    return redirect("surveys:instrument", scope.organization.slug, instrument.pk)


@require_POST
@org_view(*STAFF)
def item_create(request, scope, instrument_id: int):
    instrument = selectors.instrument_for(scope, instrument_id)
    form = ItemForm(request.POST)
    if form.is_valid():
        try:
            item = services.item_create(
                organization=scope.organization,
                population=instrument.population,
                actor=request.user,
                **form.cleaned_data,
            )
            services.instrument_item_add(instrument=instrument, code=item.code, actor=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{item.code} was created and added.")
            return redirect("surveys:instrument", scope.organization.slug, instrument.pk)
    instrument.refresh_from_db()
    return render(
        request, "surveys/instrument.html", _compose_context(scope, instrument, form), status=422
    )
