"""JSON API of the surveys app (mounted under /api/; paths are declared in full).

Staff endpoints use the member's scope (deny by default: non-members get 404, other roles
403). The respondent endpoints under /respond/{token} need no login: the token is the key.
Every aggregate comes from `selectors`, i.e. through the anonymity gate.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import Field

from servicechain.org import services as org_services
from servicechain.org.access import Role, scope_for

from . import selectors, services
from .bank import load_bank
from .models import Item, Wave
from .questions import AnswerError, questions_of
from .shortcut import recorded_response

router = Router(tags=["surveys"])
# The respondent endpoints (no login) on their own router, mounted first: Django resolves
# URLs by trying patterns in order, and every survey submission should not first be tried
# against the sixty-odd staff paths (that cost more CPU than the submission's SQL).
respond_router = Router(tags=["respond"], auth=None)

STAFF = (Role.ADMIN, Role.HR_ANALYST)


def _staff_scope(request, org: str):
    scope = scope_for(request.user, org)
    scope.require(*STAFF)
    return scope


# --------------------------------------------------------------------------- schemas


class ErrorOut(Schema):
    detail: str


class AnswerErrorOut(Schema):
    detail: str
    errors: dict[str, str]


class QuestionOut(Schema):
    code: str
    number: int
    scale: str
    text: str
    type: str
    reverse: bool
    required: bool
    min_value: int | None
    max_value: int | None
    options: list[dict[str, str]]


class ItemIn(Schema):
    code: str
    scale: str
    text: str
    type: str
    population: str
    reverse: bool = False
    options: list[dict[str, str]] = []


class ItemOut(Schema):
    code: str
    scale: str
    text: str
    type: str
    population: str
    reverse: bool
    source: str


class InstrumentIn(Schema):
    name: str
    population: str
    description: str = ""
    template: str = Field("", description="A bank instrument to start from, e.g. engagement_pulse")


class InstrumentOut(Schema):
    id: int
    name: str
    population: str
    description: str
    template: str
    questions: list[QuestionOut]


class InstrumentItemIn(Schema):
    code: str
    required: bool = False


class WaveIn(Schema):
    name: str
    instrument_id: int
    kind: str = Wave.Kind.CENSUS
    audience_unit_id: int | None = None
    opens_at: dt.datetime
    closes_at: dt.datetime
    sample_fraction: float = 1.0
    cadence: str = Wave.Cadence.NONE
    reminder_after_days: int = 3


class WaveOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    instrument_id: int
    instrument: str
    audience_unit_id: int
    opens_at: dt.datetime
    closes_at: dt.datetime
    sample_fraction: float
    cadence: str
    previous_id: int | None


class MailingOut(Schema):
    invited: int
    emailed: int
    without_email: int


class InvitationsOut(Schema):
    invited: int
    emailed: int
    reminded: int
    by_unit: list[dict[str, Any]]


class SubmittedOut(Schema):
    status: str


class LinkOut(Schema):
    wave: str
    organization: str
    closes_at: dt.datetime
    questions: list[QuestionOut]
    draft: dict[str, Any]


# --------------------------------------------------------------------------- helpers


def _question_out(question) -> dict:
    item = question.item
    return {
        "code": item.code,
        "number": question.number,
        "scale": item.scale,
        "text": item.text,
        "type": item.type,
        "reverse": item.reverse,
        "required": question.required,
        "min_value": item.min_value,
        "max_value": item.max_value,
        "options": [{"value": v, "label": label} for v, label in item.options],
    }


def _instrument_out(instrument) -> dict:
    return {
        "id": instrument.pk,
        "name": instrument.name,
        "population": instrument.population,
        "description": instrument.description,
        "template": instrument.template,
        "questions": [_question_out(q) for q in questions_of(instrument)],
    }


def _wave_out(wave: Wave) -> dict:
    return {
        "id": wave.pk,
        "name": wave.name,
        "kind": wave.kind,
        "status": wave.status,
        "instrument_id": wave.instrument_id,
        "instrument": wave.instrument.name,
        "audience_unit_id": wave.audience_unit_id,
        "opens_at": wave.opens_at,
        "closes_at": wave.closes_at,
        "sample_fraction": wave.sample_fraction,
        "cadence": wave.cadence,
        "previous_id": wave.previous_id,
    }


# --------------------------------------------------------------------------- items, instruments


@router.get("/orgs/{org}/items", response=list[ItemOut], summary="Bank items and our own items")
def items(request, org: str, population: str | None = None):
    scope = _staff_scope(request, org)
    rows = [
        {**_item_fields(item), "source": "bank"}
        for item in load_bank().items
        if population in (None, item.population)
    ]
    own = Item.objects.filter(organization=scope.organization)
    if population:
        own = own.filter(population=population)
    rows += [{**_item_fields(item), "source": "organisation"} for item in own]
    return rows


def _item_fields(item) -> dict:
    return {
        "code": item.code,
        "scale": item.scale,
        "text": item.text,
        "type": item.type,
        "population": item.population,
        "reverse": item.reverse,
    }


@router.post("/orgs/{org}/items", response={201: ItemOut, 403: ErrorOut, 422: ErrorOut})
def item_create(request, org: str, payload: ItemIn):
    scope = _staff_scope(request, org)
    item = services.item_create(
        organization=scope.organization, actor=request.user, **payload.dict()
    )
    return Status(201, {**_item_fields(item), "source": "organisation"})


@router.get("/orgs/{org}/instruments", response=list[InstrumentOut])
def instruments(request, org: str):
    scope = _staff_scope(request, org)
    return [_instrument_out(i) for i in selectors.instruments_for(scope)]


@router.post("/orgs/{org}/instruments", response={201: InstrumentOut, 403: ErrorOut, 422: ErrorOut})
def instrument_create(request, org: str, payload: InstrumentIn):
    scope = _staff_scope(request, org)
    instrument = services.instrument_create(
        organization=scope.organization, owner=request.user, actor=request.user, **payload.dict()
    )
    return Status(201, _instrument_out(instrument))


@router.get("/orgs/{org}/instruments/{instrument_id}", response=InstrumentOut)
def instrument(request, org: str, instrument_id: int):
    scope = _staff_scope(request, org)
    return _instrument_out(selectors.instrument_for(scope, instrument_id))


@router.post(
    "/orgs/{org}/instruments/{instrument_id}/items",
    response={201: InstrumentOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Add a bank item (by code) or one of our items",
)
def instrument_item_add(request, org: str, instrument_id: int, payload: InstrumentItemIn):
    scope = _staff_scope(request, org)
    instrument = selectors.instrument_for(scope, instrument_id)
    services.instrument_item_add(
        instrument=instrument, code=payload.code, required=payload.required, actor=request.user
    )
    instrument.refresh_from_db()
    return Status(201, _instrument_out(instrument))


@router.delete(
    "/orgs/{org}/instruments/{instrument_id}/items/{code}",
    response={200: InstrumentOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def instrument_item_remove(request, org: str, instrument_id: int, code: str):
    scope = _staff_scope(request, org)
    instrument = selectors.instrument_for(scope, instrument_id)
    services.instrument_item_remove(instrument=instrument, code=code, actor=request.user)
    instrument.refresh_from_db()
    return _instrument_out(instrument)


# --------------------------------------------------------------------------- waves


@router.get("/orgs/{org}/waves", response=list[WaveOut])
def waves(request, org: str):
    return [_wave_out(w) for w in selectors.waves_for(scope_for(request.user, org))]


@router.post(
    "/orgs/{org}/waves", response={201: WaveOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def wave_create(request, org: str, payload: WaveIn):
    scope = _staff_scope(request, org)
    instrument = selectors.instrument_for(scope, payload.instrument_id)
    audience = (
        scope.get_unit(payload.audience_unit_id) if payload.audience_unit_id else scope.root_unit
    )
    wave = services.wave_create(
        organization=scope.organization,
        instrument=instrument,
        name=payload.name,
        audience_unit=audience,
        opens_at=payload.opens_at,
        closes_at=payload.closes_at,
        kind=payload.kind,
        sample_fraction=payload.sample_fraction,
        cadence=payload.cadence,
        reminder_after_days=payload.reminder_after_days,
        actor=request.user,
    )
    return Status(201, _wave_out(wave))


@router.get("/orgs/{org}/waves/{wave_id}", response=WaveOut)
def wave(request, org: str, wave_id: int):
    return _wave_out(selectors.wave_for(scope_for(request.user, org), wave_id))


def _staff_wave(request, org: str, wave_id: int) -> Wave:
    return selectors.wave_for(_staff_scope(request, org), wave_id)


@router.post(
    "/orgs/{org}/waves/{wave_id}/open",
    response={200: WaveOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def wave_open(request, org: str, wave_id: int, early: bool = False):
    """Open a draft now. A wave planned to open later needs `early=true` (its planned start
    is then replaced by now); without it the answer is 422 naming the planned start."""
    return _wave_out(
        services.wave_open(wave=_staff_wave(request, org, wave_id), actor=request.user, early=early)
    )


@router.post(
    "/orgs/{org}/waves/{wave_id}/close",
    response={200: WaveOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def wave_close(request, org: str, wave_id: int):
    return _wave_out(
        services.wave_close(wave=_staff_wave(request, org, wave_id), actor=request.user)
    )


@router.post(
    "/orgs/{org}/waves/{wave_id}/next",
    response={201: WaveOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Create the next wave of a recurring series",
)
def wave_next(request, org: str, wave_id: int):
    following = services.wave_create_next(
        wave=_staff_wave(request, org, wave_id), actor=request.user
    )
    return Status(201, _wave_out(following))


@router.post(
    "/orgs/{org}/waves/{wave_id}/invitations",
    response={200: MailingOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Invite the audience not yet invited and e-mail their links",
)
def invitations_send(request, org: str, wave_id: int):
    wave = _staff_wave(request, org, wave_id)
    return services.invitation_send(wave=wave, actor=request.user).as_dict()


@router.post(
    "/orgs/{org}/waves/{wave_id}/reminders",
    response={200: MailingOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="E-mail fresh links to invitees who have not answered",
)
def reminders_send(request, org: str, wave_id: int):
    wave = _staff_wave(request, org, wave_id)
    return services.invitation_remind(wave=wave, actor=request.user).as_dict()


@router.get(
    "/orgs/{org}/waves/{wave_id}/invitations",
    response={200: InvitationsOut, 403: ErrorOut, 404: ErrorOut},
    summary="Mailing counts and response rates by unit (gated; never who answered)",
)
def invitations(request, org: str, wave_id: int):
    scope = _staff_scope(request, org)
    wave = selectors.wave_for(scope, wave_id)
    return {**selectors.invitation_summary(wave), "by_unit": selectors.response_rates(scope, wave)}


@router.post(
    "/orgs/{org}/waves/{wave_id}/import",
    response={200: dict, 403: ErrorOut, 404: ErrorOut, 422: dict},
    summary="Import responses from another tool's CSV/XLSX export into this wave",
)
def wave_import(
    request,
    org: str,
    wave_id: int,
    file: UploadedFile = File(...),
    mapping: str | None = Form(None),
    dry_run: bool = Form(False),
):
    """`mapping`: a JSON object from the file's column names to item codes (or to the fields
    external_id, unit_external_id, tenure_band, job_family, interaction_external_id,
    submitted_at, started_at)."""
    scope = _staff_scope(request, org)
    wave = selectors.wave_for(scope, wave_id)
    try:
        columns = json.loads(mapping) if mapping else {}
    except json.JSONDecodeError as exc:
        raise HttpError(422, f"mapping is not valid JSON: {exc}") from None
    report = org_services.import_upload(
        organization=scope.organization,
        kind="responses",
        upload=file,
        dry_run=dry_run,
        actor=request.user,
        options={"wave": str(wave.pk), "mapping": columns},
    )
    return report.as_dict()


# --------------------------------------------------------------------------- results (gated)


def _published(scope, wave_id: int) -> tuple[Wave, selectors.Results]:
    wave = selectors.wave_for(scope, wave_id)
    return wave, services.results_ensure(wave=wave)


def _status(results: selectors.Results) -> str:
    if results.ready:
        return "published"
    return "preparing" if results.preparing else "open: results are published when it closes"


@router.get(
    "/orgs/{org}/waves/{wave_id}/results",
    summary="Headline and results by unit (published when the wave closes; gated)",
)
def results(request, org: str, wave_id: int):
    scope = scope_for(request.user, org)
    wave, published = _published(scope, wave_id)
    by_unit = selectors.results_by_unit(scope, wave, published)
    return {
        "wave": _wave_out(wave),
        "status": _status(published),
        "min_group_size": by_unit.min_n,
        "headline": selectors.headline(by_unit),
        "scales": [{"code": c, "name": n} for c, n in by_unit.scales],
        "units": by_unit.rows,
    }


@router.get(
    "/orgs/{org}/waves/{wave_id}/results/breakdown",
    summary="One unit by tenure or job family (published results; gated)",
)
def results_breakdown(request, org: str, wave_id: int, dimension: str, unit_id: int | None = None):
    scope = scope_for(request.user, org)
    if dimension not in selectors.DIMENSIONS:
        raise HttpError(422, f"dimension: use one of {', '.join(selectors.DIMENSIONS)}")
    wave, published = _published(scope, wave_id)
    unit = scope.get_unit(unit_id) if unit_id else None
    return selectors.breakdown(scope, wave, dimension=dimension, unit=unit, results=published)


@router.get(
    "/orgs/{org}/waves/{wave_id}/results/filtered",
    summary="Results by unit for one category (published results; gated)",
)
def results_filtered(request, org: str, wave_id: int, dimension: str, category: str):
    scope = scope_for(request.user, org)
    if dimension not in selectors.DIMENSIONS:
        raise HttpError(422, f"dimension: use one of {', '.join(selectors.DIMENSIONS)}")
    wave, published = _published(scope, wave_id)
    return selectors.filtered_results(
        scope, wave, dimension=dimension, category=category, results=published
    )


@router.get(
    "/orgs/{org}/waves/{wave_id}/comments",
    summary="Comments of a unit (published results, only where the gate shows the unit)",
)
def results_comments(request, org: str, wave_id: int, unit_id: int | None = None):
    scope = scope_for(request.user, org)
    wave, published = _published(scope, wave_id)
    unit = scope.get_unit(unit_id) if unit_id else None
    return selectors.comments(scope, wave, unit=unit, results=published)


@router.get("/orgs/{org}/waves/{wave_id}/response-rates", summary="Response rates by unit (gated)")
def response_rates(request, org: str, wave_id: int):
    scope = scope_for(request.user, org)
    return selectors.response_rates(scope, selectors.wave_for(scope, wave_id))


@router.get(
    "/orgs/{org}/waves/{wave_id}/psychometrics", summary="Reliability per scale (whole wave, gated)"
)
def psychometrics(request, org: str, wave_id: int):
    scope = scope_for(request.user, org)
    wave = selectors.wave_for(scope, wave_id)
    if not selectors.can_see_psychometrics(scope, wave):
        raise HttpError(
            403, "Only administrators, HR analysts and the instrument's owner see this."
        )
    services.results_ensure(wave=wave)
    return selectors.psychometrics_report(wave)


# --------------------------------------------------------------------------- respondents (no login)


def _link_error(error: services.SurveyLinkError):
    raise HttpError(error.status, str(error))


@respond_router.get(
    "/respond/{token}",
    auth=None,
    response={200: LinkOut, 404: ErrorOut, 409: ErrorOut, 410: ErrorOut},
    summary="The questions behind a survey link (no login)",
)
def respond_form(request: HttpRequest, token: str):
    try:
        link = services.link_resolve(token)
        services.link_check(link)
    except services.SurveyLinkError as error:
        _link_error(error)
    return {
        "wave": link.wave.name,
        "organization": link.wave.organization.name,
        "closes_at": link.wave.closes_at,
        "questions": [_question_out(q) for q in link.questions],
        "draft": services.draft_answers(token),
    }


@respond_router.post(
    "/respond/{token}",
    auth=None,
    response={201: SubmittedOut, 404: ErrorOut, 409: ErrorOut, 410: ErrorOut, 422: AnswerErrorOut},
    summary="Submit answers by survey link (no login; once per link)",
)
def respond_submit(request: HttpRequest, token: str):
    """Body: `{"answers": {"ENG1": 4, "COMMENT": "…"}}`. 404 unknown link, 410 closed wave,
    409 already answered, 422 naming every field whose answer is not allowed."""
    answers = _answers_body(request)
    try:
        services.response_submit(token=token, answers=answers, returning=False)
    except AnswerError as error:
        return Status(422, {"detail": str(error), "errors": error.errors})
    except services.SurveyLinkError as error:
        _link_error(error)
    # A ready-made body: the schema check of a constant is wasted work on the hot path. In a
    # served deployment most submissions are answered in front of Django (.shortcut), which
    # hands this view every submission it does not record itself.
    return recorded_response()


@respond_router.put(
    "/respond/{token}/draft",
    auth=None,
    response={200: dict, 404: ErrorOut, 409: ErrorOut, 410: ErrorOut, 422: AnswerErrorOut},
    summary="Save answers so far (no login)",
)
def respond_draft(request: HttpRequest, token: str):
    answers = _answers_body(request)
    try:
        saved = services.draft_save(token=token, answers=answers)
    except AnswerError as error:
        return Status(422, {"detail": str(error), "errors": error.errors})
    except services.SurveyLinkError as error:
        _link_error(error)
    return {"saved": len(saved)}


def _answers_body(request: HttpRequest) -> Any:
    # Parsed by hand rather than through a schema: this is the hot path of every survey.
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise HttpError(422, 'answers: the body must be JSON like {"answers": {...}}') from None
    if not isinstance(body, dict) or not isinstance(body.get("answers"), dict):
        raise HttpError(422, 'answers: the body must be JSON like {"answers": {...}}')
    return body["answers"]
