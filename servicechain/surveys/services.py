"""Writes of the surveys app: keyword-only, validated, one transaction each, audited.

Audit events record what staff did (compose, open, send, close, import); nothing a
respondent does is ever audited, because an audit row with a time and a person is exactly
the link that confidentiality forbids.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime

from servicechain.analytics import anonymity
from servicechain.notifications import events as notification_events
from servicechain.notifications.services import notify, notify_results_ready
from servicechain.org.models import Employee, Interaction, Organization, Unit
from servicechain.org.services import audit_record

from . import results as pipeline
from . import tokens
from .bank import ITEM_TYPES, SCORED_TYPES, load_bank
from .models import (
    CustomerResponse,
    Draft,
    Instrument,
    InstrumentItem,
    Invitation,
    Item,
    Population,
    Response,
    UnitScore,
    Wave,
    WaveSnapshot,
)
from .questions import clean_answers, questions_for

TENURE_BANDS = ("<1y", "1-2y", "2-5y", "5y+")
_TENURE_EDGES_DAYS = (365, 730, 1826)
CODE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
CUSTOMER_LOOKBACK_DAYS = 7
EMAIL_BATCH = 500

# --------------------------------------------------------------------------- errors of a link


class SurveyLinkError(Exception):
    """A survey link that cannot be answered; `status` is the HTTP status to answer with."""

    status = 400


class UnknownLink(SurveyLinkError):
    """No invitation has this token. Said the same way whatever the token, so nobody learns
    whether a wave or an invitation exists."""

    status = 404

    def __init__(self):
        super().__init__("This survey link is not valid. Check that you copied all of it.")


class WaveClosed(SurveyLinkError):
    status = 410

    def __init__(self, wave: Wave):
        self.wave = wave
        super().__init__(f"The survey “{wave.name}” is closed; answers are no longer accepted.")


class AlreadySubmitted(SurveyLinkError):
    status = 409

    def __init__(self):
        super().__init__("This survey link has already been used: your answers were recorded once.")


# --------------------------------------------------------------------------- small rules


def tenure_band(hire_date: dt.date, on: dt.date) -> str:
    """Tenure band on a date: <1y, 1-2y, 2-5y or 5y+ (the bands the simulator uses too)."""
    days = (on - hire_date).days
    return TENURE_BANDS[sum(days >= edge for edge in _TENURE_EDGES_DAYS)]


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    for day in range(moment.day, 27, -1):  # 31 January + 1 month = 28/29 February
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


CADENCE_MONTHS = {
    Wave.Cadence.MONTHLY: 1,
    Wave.Cadence.QUARTERLY: 3,
    Wave.Cadence.HALF_YEARLY: 6,
    Wave.Cadence.YEARLY: 12,
}


def respond_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("respond:form", args=[token])


# --------------------------------------------------------------------------- items, instruments


@transaction.atomic
def item_create(
    *,
    organization: Organization,
    code: str,
    scale: str,
    text: str,
    type: str,
    population: str,
    reverse: bool = False,
    options: list[dict] | None = None,
    actor=None,
) -> Item:
    """Add an organisation's own item (same fields as a bank item)."""
    errors = {}
    if not CODE_PATTERN.match(code or ""):
        errors["code"] = "Use a letter then letters, digits or _ (at most 40), e.g. SAFE1."
    elif code in {item.code for item in load_bank().items}:
        errors["code"] = f"{code} is an item of the bank; choose another code."
    if not CODE_PATTERN.match(scale or ""):
        errors["scale"] = "Use a letter then letters, digits or _ (at most 40)."
    if type not in ITEM_TYPES:
        errors["type"] = f"Choose one of {', '.join(ITEM_TYPES)}."
    if reverse and type not in SCORED_TYPES - {"nps11"}:
        errors["reverse"] = "Only rating items (likert5, csat5, effort7, yesno) can be reversed."
    options = list(options or [])
    if type == "choice" and len(options) < 2:
        errors["options"] = "A choice item needs at least two options."
    if any(not str(o.get("value", "")).strip() or not o.get("label") for o in options):
        errors["options"] = "Each option needs a value and a label."
    if errors:
        raise ValidationError(errors)
    item = Item(
        organization=organization,
        code=code,
        scale=scale,
        text=(text or "").strip(),
        type=type,
        reverse=reverse,
        population=population,
        options=[{"value": str(o["value"]).strip(), "label": str(o["label"])} for o in options],
    )
    item.full_clean()
    item.save()
    audit_record(action="survey.item.create", organization=organization, actor=actor, target=item)
    return item


def _require_editable(instrument: Instrument) -> None:
    if instrument.waves.exclude(status=Wave.Status.DRAFT).exists():
        raise ValidationError(
            f"{instrument.name!r} has been used by an opened wave, so its questions are fixed "
            "(results would no longer be comparable). Copy it into a new instrument instead."
        )


def _touch(instrument: Instrument) -> None:
    # updated_at is the version of the cached question list (questions.questions_of).
    instrument.save(update_fields=["updated_at"])


@transaction.atomic
def instrument_create(
    *,
    organization: Organization,
    name: str,
    population: str,
    description: str = "",
    template: str = "",
    owner=None,
    actor=None,
) -> Instrument:
    """Create an instrument, empty or with every item of a bank template."""
    bank = load_bank()
    if template:
        if template not in bank.instruments:
            raise ValidationError(
                {
                    "template": f"Unknown template {template!r}; use one of {', '.join(bank.instruments)}."
                }
            )
        template_population = bank.item(bank.instruments[template][0]).population
        if template_population != population:
            raise ValidationError(
                {
                    "template": f"{template} is a survey of {template_population}s, not {population}s."
                }
            )
    instrument = Instrument(
        organization=organization,
        name=(name or "").strip(),
        population=population,
        description=description,
        template=template,
        owner=owner,
    )
    instrument.full_clean()
    instrument.save()
    if template:
        InstrumentItem.objects.bulk_create(
            InstrumentItem(instrument=instrument, order=order, bank_code=code)
            for order, code in enumerate(bank.instruments[template], start=1)
        )
    audit_record(
        action="survey.instrument.create",
        organization=organization,
        actor=actor,
        target=instrument,
        detail={"template": template},
    )
    return instrument


@transaction.atomic
def instrument_item_add(
    *, instrument: Instrument, code: str, required: bool = False, actor=None
) -> InstrumentItem:
    """Append a bank item (by code) or one of the organisation's items to an instrument."""
    _require_editable(instrument)
    bank = load_bank()
    custom = Item.objects.filter(organization=instrument.organization, code=code).first()
    try:
        population = custom.population if custom else bank.item(code).population
    except KeyError:
        raise ValidationError(
            {"code": f"{code!r} is neither an item of the bank nor one of your items."}
        ) from None
    if population != instrument.population:
        raise ValidationError(
            {
                "code": f"{code} is asked of {population}s; this instrument is for {instrument.population}s."
            }
        )
    entries = InstrumentItem.objects.filter(instrument=instrument)
    if entries.filter(Q(bank_code=code) | Q(item__code=code)).exists():
        raise ValidationError({"code": f"{code} is already in this instrument."})
    order = (entries.aggregate(top=Max("order"))["top"] or 0) + 1
    entry = InstrumentItem.objects.create(
        instrument=instrument,
        order=order,
        bank_code="" if custom else code,
        item=custom,
        required=required,
    )
    _touch(instrument)
    audit_record(
        action="survey.instrument.add_item",
        organization=instrument.organization,
        actor=actor,
        target=instrument,
        detail={"code": code},
    )
    return entry


def _entry(instrument: Instrument, code: str) -> InstrumentItem:
    entry = (
        InstrumentItem.objects.filter(instrument=instrument)
        .filter(Q(bank_code=code) | Q(item__code=code))
        .first()
    )
    if entry is None:
        raise ValidationError({"code": f"{code} is not in this instrument."})
    return entry


@transaction.atomic
def instrument_item_remove(*, instrument: Instrument, code: str, actor=None) -> None:
    _require_editable(instrument)
    _entry(instrument, code).delete()
    _renumber(instrument, [e.pk for e in instrument.entries.order_by("order", "pk")])
    audit_record(
        action="survey.instrument.remove_item",
        organization=instrument.organization,
        actor=actor,
        target=instrument,
        detail={"code": code},
    )


@transaction.atomic
def instrument_item_move(*, instrument: Instrument, code: str, position: int, actor=None) -> None:
    """Move a question to a 1-based position, shifting the others."""
    _require_editable(instrument)
    moving = _entry(instrument, code)
    order = [e.pk for e in instrument.entries.order_by("order", "pk") if e.pk != moving.pk]
    position = min(max(int(position), 1), len(order) + 1)
    order.insert(position - 1, moving.pk)
    _renumber(instrument, order)


def _renumber(instrument: Instrument, ordered_pks: list[int]) -> None:
    entries = {e.pk: e for e in instrument.entries.all()}
    for number, pk in enumerate(ordered_pks, start=1):
        entries[pk].order = number
    InstrumentItem.objects.bulk_update(entries.values(), ["order"])
    _touch(instrument)


@transaction.atomic
def instrument_item_set_required(*, instrument: Instrument, code: str, required: bool) -> None:
    _require_editable(instrument)
    entry = _entry(instrument, code)
    entry.required = required
    entry.save(update_fields=["required"])
    _touch(instrument)


# --------------------------------------------------------------------------- waves


@transaction.atomic
def wave_create(
    *,
    organization: Organization,
    instrument: Instrument,
    name: str,
    audience_unit: Unit,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    kind: str = Wave.Kind.CENSUS,
    sample_fraction: float = 1.0,
    cadence: str = Wave.Cadence.NONE,
    reminder_after_days: int = 3,
    previous: Wave | None = None,
    actor=None,
) -> Wave:
    """Plan a wave (a draft until `wave_open`)."""
    if instrument.organization_id != organization.pk:
        raise ValidationError({"instrument": "The instrument belongs to another organisation."})
    wave = Wave(
        organization=organization,
        instrument=instrument,
        name=(name or "").strip(),
        kind=kind,
        audience_unit=audience_unit,
        opens_at=opens_at,
        closes_at=closes_at,
        sample_fraction=sample_fraction,
        cadence=cadence,
        reminder_after_days=reminder_after_days,
        previous=previous,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    wave.full_clean()
    wave.save()
    audit_record(action="survey.wave.create", organization=organization, actor=actor, target=wave)
    return wave


@transaction.atomic
def wave_open(
    *, wave: Wave, actor=None, now: dt.datetime | None = None, early: bool = False
) -> Wave:
    """Open a draft wave for answers now.

    A wave planned to open later opens now only when asked to (`early`): its planned start
    is never replaced silently. Otherwise keep the start with `wave_schedule_open`.
    """
    now = now or timezone.now()
    wave = _openable(Wave.objects.select_for_update().get(pk=wave.pk), now)
    planned = wave.opens_at
    if planned > now and not early:
        raise ValidationError(
            {
                "opens_at": f"“{wave.name}” is planned to open on "
                f"{formats.date_format(timezone.localtime(planned), 'DATETIME_FORMAT')}: open it "
                "now instead of then, or keep the planned start."
            }
        )
    wave.status = Wave.Status.OPEN
    wave.opens_at = min(planned, now)
    wave.opens_automatically = False
    wave.save(update_fields=["status", "opens_at", "opens_automatically"])
    audit_record(
        action="survey.wave.open",
        organization=wave.organization,
        actor=actor,
        target=wave,
        detail={"planned_start": planned.isoformat(), "opened_at": wave.opens_at.isoformat()},
    )
    return wave


def _openable(wave: Wave, now: dt.datetime) -> Wave:
    if wave.status != Wave.Status.DRAFT:
        raise ValidationError(
            {"status": f"Only a draft wave can be opened; this one is {wave.status}."}
        )
    if wave.closes_at <= now:
        raise ValidationError({"closes_at": "The closing date has passed; move it later first."})
    if not wave.instrument.entries.exists():
        raise ValidationError({"instrument": f"{wave.instrument.name!r} has no questions yet."})
    return wave


@transaction.atomic
def wave_schedule_open(
    *, wave: Wave, actor=None, now: dt.datetime | None = None, scheduled: bool = True
) -> Wave:
    """Keep a draft's planned start: the reminder run (`waves_open_due`) opens it then.
    With `scheduled=False`, take that back (the wave stays a draft until opened by hand)."""
    now = now or timezone.now()
    wave = _openable(Wave.objects.select_for_update().get(pk=wave.pk), now)
    if scheduled and wave.opens_at <= now:
        raise ValidationError({"opens_at": "The planned start has passed: open the wave now."})
    wave.opens_automatically = scheduled
    wave.save(update_fields=["opens_automatically"])
    audit_record(
        action="survey.wave.schedule" if scheduled else "survey.wave.unschedule",
        organization=wave.organization,
        actor=actor,
        target=wave,
        detail={"planned_start": wave.opens_at.isoformat()},
    )
    return wave


def waves_open_due(*, now: dt.datetime | None = None) -> list[Wave]:
    """Open every draft kept for its planned start once that start has come."""
    now = now or timezone.now()
    due = Wave.objects.filter(
        status=Wave.Status.DRAFT, opens_automatically=True, opens_at__lte=now, closes_at__gt=now
    )
    return [wave_open(wave=wave, now=now) for wave in due]


@transaction.atomic
def wave_close(*, wave: Wave, actor=None, now: dt.datetime | None = None) -> Wave:
    """Close an open wave: no more answers, and every unsent draft is deleted."""
    now = now or timezone.now()
    wave = Wave.objects.select_for_update().get(pk=wave.pk)
    if wave.status != Wave.Status.OPEN:
        raise ValidationError(
            {"status": f"Only an open wave can be closed; this one is {wave.status}."}
        )
    wave.status = Wave.Status.CLOSED
    wave.closes_at = min(wave.closes_at, now)
    if wave.closes_at <= wave.opens_at:
        wave.opens_at = wave.closes_at - dt.timedelta(seconds=1)
    wave.save(update_fields=["status", "closes_at", "opens_at"])
    Draft.objects.filter(wave=wave).delete()
    audit_record(
        action="survey.wave.close", organization=wave.organization, actor=actor, target=wave
    )
    results_ensure(wave=wave)
    notify_results_ready(wave=wave)
    return wave


# --------------------------------------------------------------------------- publishing results

# Results are gated inline up to this many responses and units; bigger waves go to the task
# queue (a 3,000-unit wave takes minutes: every breakdown table is audited, see anonymity).
INLINE_PUBLISH_RESPONSES = 20_000
INLINE_PUBLISH_UNITS = 400


def results_ensure(*, wave: Wave):
    """The wave's published results, publishing them first when the wave has closed.

    Open waves publish nothing. A closed wave is gated inline when small and in the
    background when large (its page says the results are being prepared meanwhile). A
    snapshot built under another minimum group size is rebuilt from the same answers and
    the frozen tree, keeping withheld every cell it withheld.
    """
    from .selectors import published_results  # selectors import results, not services

    if wave.status != Wave.Status.CLOSED:
        return published_results(wave)
    snapshot = WaveSnapshot.objects.filter(wave=wave).defer("tree").first()
    current = snapshot is not None and snapshot.min_group_size == wave.organization.min_group_size
    if snapshot is not None and (current or not snapshot.ready):
        return published_results(wave)
    units = Unit.objects.filter(organization_id=wave.organization_id).count()
    if pipeline.responses_of(wave) <= INLINE_PUBLISH_RESPONSES and units <= INLINE_PUBLISH_UNITS:
        results_publish(wave=wave)
    else:
        _publish_later(wave)
    return published_results(wave)


def results_publish_due(*, organization: Organization) -> None:
    """Publish every closed wave of the organisation whose results are not (or no longer, after
    a change of the minimum group size) published. Cheap when there is nothing to do."""
    due = Wave.objects.filter(organization=organization, status=Wave.Status.CLOSED).exclude(
        results_snapshot__min_group_size=organization.min_group_size
    )
    for wave in due.select_related("organization"):
        results_ensure(wave=wave)


def _publish_later(wave: Wave) -> None:
    with transaction.atomic():
        locked = Wave.objects.select_for_update().get(pk=wave.pk)
        snapshot, _ = WaveSnapshot.objects.get_or_create(
            wave=locked,
            defaults={
                "organization_id": wave.organization_id,
                "min_group_size": wave.organization.min_group_size,
            },
        )
        if snapshot.ready:
            snapshot.state = WaveSnapshot.State.BUILDING
            snapshot.save(update_fields=["state"])
    from .tasks import publish_results  # cycle: tasks import services

    transaction.on_commit(lambda: publish_results.enqueue(wave.pk))


def results_publish(*, wave: Wave) -> WaveSnapshot:
    """Gate a closed wave's answers and store the cells: its one published reading.

    Readers see the old or the new set of cells, never a mix. The unit tree is the one
    frozen at the first publication; cells withheld then stay withheld.
    """
    started = timezone.now()
    with transaction.atomic():
        # Two requests publishing the same wave at once take turns here.
        wave = Wave.objects.select_for_update().select_related("organization").get(pk=wave.pk)
        if wave.status != Wave.Status.CLOSED:
            raise ValidationError({"status": "Results are published when the wave closes."})
        previous = WaveSnapshot.objects.filter(wave=wave).first()
        frozen = previous.tree if previous is not None and previous.tree else None
        tree = (
            pipeline.tree_frame(frozen, wave.organization)
            if frozen
            else pipeline.unit_tree(wave.organization)
        )
        withheld = frozenset(
            UnitScore.objects.filter(snapshot=previous, suppressed=True).values_list(
                "unit_id", "dimension", "category", "scale"
            )
            if previous is not None
            else ()
        )
        built = pipeline.wave_cells(pipeline.wave_table(wave, tree), withheld=withheld)
        WaveSnapshot.objects.filter(wave=wave).delete()
        snapshot = WaveSnapshot.objects.create(
            wave=wave,
            organization_id=wave.organization_id,
            state=WaveSnapshot.State.READY,
            responses=built.responses,
            tree=frozen or pipeline.tree_records(tree),
            min_group_size=wave.organization.min_group_size,
            scales=[list(pair) for pair in built.scales],
            categories=built.categories,
            published_at=timezone.now(),
            build_seconds=(timezone.now() - started).total_seconds(),
        )
        _insert_cells(snapshot, built.cells)
    return snapshot


CELL_COLUMNS = ("unit_id", "dimension", "category", "scale", "n", "value", "lower", "upper", "se")


def _insert_cells(snapshot: WaveSnapshot, cells: list[dict]) -> None:
    """Store the cells: COPY on PostgreSQL (a 3,000-unit wave is ~300,000 rows), else bulk."""
    if connection.vendor != "postgresql":
        UnitScore.objects.bulk_create(
            (UnitScore(snapshot=snapshot, **cell) for cell in cells), batch_size=5000
        )
        return
    columns = ("snapshot_id", *CELL_COLUMNS, "suppressed", "reason")
    statement = f"COPY {UnitScore._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for cell in cells:
            copy.write_row(
                (snapshot.pk, *(cell[c] for c in CELL_COLUMNS), cell["suppressed"], cell["reason"])
            )


def waves_close_due(*, now: dt.datetime | None = None) -> list[Wave]:
    """Close every open wave whose closing time has passed (run by the reminder command)."""
    now = now or timezone.now()
    return [
        wave_close(wave=wave, now=wave.closes_at)
        for wave in Wave.objects.filter(status=Wave.Status.OPEN, closes_at__lte=now)
    ]


@transaction.atomic
def wave_create_next(*, wave: Wave, actor=None) -> Wave:
    """The next wave of a recurring series: same instrument, audience and sample, dates moved on."""
    months = CADENCE_MONTHS.get(wave.cadence)
    if months is None:
        raise ValidationError({"cadence": "This wave is one-off; give it a cadence to repeat it."})
    opens_at = _add_months(wave.opens_at, months)
    closes_at = opens_at + (wave.closes_at - wave.opens_at)
    base = re.sub(r"\s+\d{4}-\d{2}$", "", wave.name)
    name = f"{base} {opens_at:%Y-%m}"
    if Wave.objects.filter(organization=wave.organization, name=name).exists():
        raise ValidationError({"name": f"A wave called {name!r} already exists."})
    return wave_create(
        organization=wave.organization,
        instrument=wave.instrument,
        name=name,
        audience_unit=wave.audience_unit,
        opens_at=opens_at,
        closes_at=closes_at,
        kind=wave.kind,
        sample_fraction=wave.sample_fraction,
        cadence=wave.cadence,
        reminder_after_days=wave.reminder_after_days,
        previous=wave,
        actor=actor,
    )


# --------------------------------------------------------------------------- invitations


@dataclass
class MailingReport:
    """What one mailing did (counts only: who answered is never part of a report)."""

    invited: int = 0
    emailed: int = 0
    without_email: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "invited": self.invited,
            "emailed": self.emailed,
            "without_email": self.without_email,
        }


def _require_open(wave: Wave, now: dt.datetime) -> None:
    if wave.status != Wave.Status.OPEN or not wave.opens_at <= now < wave.closes_at:
        raise ValidationError(
            {
                "status": f"Invitations go out only while a wave is open; {wave.name!r} is {wave.status}."
            }
        )


def stratified_sample(groups: list[Any], fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Indices of a proportionate stratified random sample (strata = `groups`).

    Each stratum gets ``floor(fraction · size)`` places and the leftover places of the
    total ``round(fraction · N)`` go to the strata with the largest remainders (Hamilton's
    method), so every unit is represented in proportion; who is drawn within a stratum is a
    simple random sample.
    """
    if fraction >= 1:
        return np.arange(len(groups))
    members: dict[Any, list[int]] = defaultdict(list)
    for index, group in enumerate(groups):
        members[group].append(index)
    keys = list(members)
    quotas = np.array([fraction * len(members[k]) for k in keys])
    places = np.floor(quotas).astype(int)
    leftover = int(round(fraction * len(groups))) - int(places.sum())
    if leftover > 0:
        order = np.argsort(-(quotas - places) + rng.random(len(keys)) * 1e-9, kind="stable")
        places[order[:leftover]] += 1
    chosen = [
        rng.choice(members[key], size=count, replace=False)
        for key, count in zip(keys, places, strict=True)
        if count
    ]
    return np.sort(np.concatenate(chosen)) if chosen else np.array([], dtype=int)


def _employee_audience(wave: Wave, on: dt.date):
    """Current employees of the audience subtree not yet invited; once a sample has been
    drawn, only those who started since (so a pulse is not re-drawn from its own leftovers)."""
    newcomers = Q()
    if wave.drawn_at is not None and wave.sample_fraction < 1:
        newcomers = Q(hire_date__gte=wave.drawn_at.date())
    return (
        Employee.objects.filter(
            Q(leave_date__isnull=True) | Q(leave_date__gt=on),
            newcomers,
            organization=wave.organization,
            unit__path__startswith=wave.audience_unit.path,
            hire_date__lte=on,
        )
        .exclude(
            pk__in=Invitation.objects.filter(wave=wave, employee__isnull=False).values("employee")
        )
        .order_by("pk")
        .only("pk", "unit_id", "hire_date", "job_family", "email", "first_name")
    )


def _customer_audience(wave: Wave, now: dt.datetime):
    """The latest interaction of each customer served in the audience since the wave opened
    (and in the week before) — or, once drawn, since the last draw — one invitation per
    customer per wave."""
    invited_customers = Invitation.objects.filter(wave=wave, interaction__isnull=False).values(
        "interaction__customer"
    )
    latest: dict[int, Interaction] = {}
    interactions = (
        Interaction.objects.filter(
            organization=wave.organization,
            unit__path__startswith=wave.audience_unit.path,
            started_at__gte=wave.drawn_at
            or wave.opens_at - dt.timedelta(days=CUSTOMER_LOOKBACK_DAYS),
            started_at__lte=min(now, wave.closes_at),
        )
        .exclude(customer__in=invited_customers)
        .select_related("customer")
        .order_by("started_at", "pk")
    )
    for interaction in interactions:
        latest[interaction.customer_id] = interaction
    return sorted(latest.values(), key=lambda i: i.pk)


def invitation_send(
    *, wave: Wave, actor=None, now: dt.datetime | None = None, seed: int | None = None
) -> MailingReport:
    """Invite the wave's audience not yet invited, and e-mail each their own link.

    A census invites everyone in the audience subtree; a pulse (or a customer wave) a
    stratified random `sample_fraction` of them. Run again later, it invites only people
    who joined since (new starters, new interactions). Tokens exist in clear only in the
    e-mails: the database keeps their hashes. Invitations are written and mailed in
    batches; a batch whose e-mail failed keeps `sent_at` empty, and the next run sends it
    with fresh links.
    """
    now = now or timezone.now()
    wave = Wave.objects.select_related("organization", "audience_unit", "instrument").get(
        pk=wave.pk
    )
    _require_open(wave, now)
    rng = np.random.default_rng(seed)
    report = MailingReport()
    with transaction.atomic():
        if wave.population == Population.EMPLOYEE:
            people = list(_employee_audience(wave, now.date()))
            chosen = stratified_sample([p.unit_id for p in people], wave.sample_fraction, rng)
            invitations = [
                Invitation(
                    wave=wave,
                    employee=people[i],
                    unit_id=people[i].unit_id,
                    tenure_band=tenure_band(people[i].hire_date, wave.opens_at.date()),
                    job_family=people[i].job_family,
                )
                for i in chosen
            ]
        else:
            served = _customer_audience(wave, now)
            chosen = stratified_sample([i.unit_id for i in served], wave.sample_fraction, rng)
            invitations = [
                Invitation(wave=wave, interaction=served[i], unit_id=served[i].unit_id)
                for i in chosen
            ]
        for invitation in invitations:
            # Placeholder hashes keep the unique index happy; real ones are set when mailed.
            invitation.token_hash = "unsent-" + tokens.new_token()[:50]
        Invitation.objects.bulk_create(invitations, batch_size=1000)
        if wave.population == Population.EMPLOYEE:
            attributes_coarsen(wave=wave)
            _tell_invited(wave)
        Wave.objects.filter(pk=wave.pk).update(drawn_at=now)
        report.invited = len(invitations)
        audit_record(
            action="survey.invitation.create",
            organization=wave.organization,
            actor=actor,
            target=wave,
            detail={"invited": report.invited},
        )
    unsent = Invitation.objects.filter(wave=wave, sent_at__isnull=True)
    _mail(wave, unsent, report, now=now, reminder=False)
    audit_record(
        action="survey.invitation.send",
        organization=wave.organization,
        actor=actor,
        target=wave,
        detail=report.as_dict(),
    )
    return report


def invitation_send_for_interaction(
    *, wave: Wave, interaction: Interaction, actor=None, now: dt.datetime | None = None
) -> Invitation:
    """Invite one interaction's customer to an open customer wave now (the care app's
    follow-up after a service recovery) and e-mail them their link once the caller's
    transaction commits. Inviting the same interaction again returns its invitation."""
    now = now or timezone.now()
    wave = Wave.objects.select_related("organization").get(pk=wave.pk)
    _require_open(wave, now)
    if wave.population != Population.CUSTOMER:
        raise ValidationError({"wave": f"{wave.name!r} is not a customer survey."})
    if interaction.organization_id != wave.organization_id:
        raise ValidationError({"interaction": "The interaction belongs to another organisation."})
    invitation = Invitation.objects.filter(wave=wave, interaction=interaction).first()
    if invitation is not None:
        return invitation
    invitation = Invitation.objects.create(
        wave=wave,
        interaction=interaction,
        unit_id=interaction.unit_id,
        token_hash="unsent-" + tokens.new_token()[:50],
    )
    audit_record(
        action="survey.invitation.create",
        organization=wave.organization,
        actor=actor,
        target=wave,
        detail={"invited": 1, "interaction": interaction.external_id},
    )

    def mail_it() -> None:
        report = MailingReport(invited=1)
        _mail(wave, Invitation.objects.filter(pk=invitation.pk), report, now=now, reminder=False)

    transaction.on_commit(mail_it)
    return invitation


def _tell_invited(wave: Wave) -> None:
    """Invited employees with a login find the survey in their inbox, pointing to the Surveys
    page's "Answer now" (the personal link is only ever in their own e-mail)."""
    users = Invitation.objects.filter(wave=wave, employee__user__isnull=False).values_list(
        "employee__user_id", flat=True
    )
    closes = timezone.localtime(wave.closes_at)
    notify(
        recipients=list(users),
        event=notification_events.SURVEY_OPENED.key,
        title=f"Survey open for you: {wave.name}",
        body=f"Please answer by {closes:%a} {closes.day} {closes:%b}. Your answers are "
        "confidential: results are shown only for groups of at least "
        f"{wave.organization.min_group_size} people.",
        url=reverse("surveys:waves", args=[wave.organization.slug]),
        organization=wave.organization,
        key=f"wave:{wave.pk}",
    )


COARSENED_ATTRIBUTES = ("tenure_band", "job_family")


@transaction.atomic
def attributes_coarsen(*, wave: Wave) -> dict[str, int]:
    """Blank frozen attributes wherever a unit's class of invitees is too small to show.

    A confidential response keeps unit, tenure band and job family; in a unit where, say,
    one invitee has under a year's tenure, that row would single the person out to anyone
    reading the raw table. Two passes, each per unit and each through the anonymity gate's
    breakdown rule (`suppress_breakdown`: every kept class has at least min-n people and the
    blanked ones together are none or at least min-n):

    1. each attribute on its own: withheld bands (families) are stored blank;
    2. the two together: the classes of (band, family) pairs left by pass 1 — a blank
       counts as a value, since a lone "2-5y, (blank)" row is as telling as any other — and
       the people of a withheld pair lose both attributes.

    After pass 2 every stored combination is shared by at least min-n invitees of the unit
    and the fully blank rows are none or at least min-n (k-anonymity by suppression,
    Sweeney 2002, *Int. J. Uncertainty, Fuzziness and Knowledge-Based Systems* 10(5)); the
    single-attribute rule of pass 1 still holds, because each band's rows are a union of
    kept pairs and the blank band is kept pairs plus the blank pool. Both passes apply to
    invitations and to the responses already given. Returns how many invitations were
    blanked per attribute, and per pair (key ``"tenure_band+job_family"``).
    """
    min_n = wave.organization.min_group_size
    totals = dict(
        Invitation.objects.filter(wave=wave).values_list("unit_id").annotate(n=Count("pk"))
    )
    passes = [(attribute,) for attribute in COARSENED_ATTRIBUTES] + [COARSENED_ATTRIBUTES]
    return {
        "+".join(attributes): _coarsen_classes(wave, attributes, totals, min_n)
        for attributes in passes
    }


def _coarsen_classes(wave: Wave, attributes: tuple[str, ...], totals: dict, min_n: int) -> int:
    """One pass of `attributes_coarsen`: per unit, the classes of invitees by `attributes`
    (a blank counts as a value; rows blank in all of them are the remainder) go through
    `suppress_breakdown`, and everyone in a withheld class loses all of `attributes`, on
    invitations and responses. Returns how many invitations were blanked."""
    empty = dict.fromkeys(attributes, "")
    rows = (
        Invitation.objects.filter(wave=wave)
        .exclude(**empty)
        .values_list("unit_id", *attributes)
        .annotate(n=Count("pk"))
    )
    classes = defaultdict(dict)
    for unit_id, *values, n in rows:
        classes[unit_id][tuple(values)] = n
    blanked = 0
    for unit_id, counts in classes.items():
        labels = list(counts)
        table = pd.DataFrame({"respondents": [counts[c] for c in labels]}, dtype="int64")
        gated = anonymity.suppress_breakdown(table, min_n=min_n, total=totals[unit_id])
        withheld = [c for c, hide in zip(labels, gated["suppressed"], strict=True) if hide]
        if not withheld:
            continue
        combos = Q()
        for values in withheld:
            combos |= Q(**dict(zip(attributes, values, strict=True)))
        where = Q(wave=wave, unit_id=unit_id) & combos
        blanked += Invitation.objects.filter(where).update(**empty)
        Response.objects.filter(where).update(**empty)
    return blanked


def invitation_remind(*, wave: Wave, actor=None, now: dt.datetime | None = None) -> MailingReport:
    """E-mail a fresh link to everyone invited who has not answered and was last mailed at
    least `reminder_after_days` ago.

    The database holds only hashes, so a reminder cannot repeat the old link: it issues a
    new token and the old link stops working (see docs/surveys.md, "Reminders").
    """
    now = now or timezone.now()
    wave = Wave.objects.select_related("organization", "instrument").get(pk=wave.pk)
    _require_open(wave, now)
    due = now - dt.timedelta(days=wave.reminder_after_days)
    pending = Invitation.objects.filter(wave=wave, responded=False, sent_at__isnull=False).filter(
        Q(last_reminded_at__lte=due) | Q(last_reminded_at__isnull=True, sent_at__lte=due)
    )
    report = MailingReport(invited=0)
    _mail(wave, pending, report, now=now, reminder=True)
    audit_record(
        action="survey.invitation.remind",
        organization=wave.organization,
        actor=actor,
        target=wave,
        detail=report.as_dict(),
    )
    return report


def _mail(wave: Wave, invitations, report: MailingReport, *, now, reminder: bool) -> None:
    """Issue fresh tokens and send one e-mail per invitation, batch by batch."""
    ids = list(invitations.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), EMAIL_BATCH):
        batch = list(
            Invitation.objects.filter(pk__in=ids[start : start + EMAIL_BATCH], responded=False)
            .select_related("employee", "interaction__customer")
            .order_by("pk")
        )
        messages, issued = [], []
        for invitation in batch:
            address, name = _recipient(invitation)
            if not address:
                report.without_email += 1
                continue
            token = tokens.new_token()
            invitation.token_hash = tokens.lookup_hash(token)
            if reminder:
                invitation.last_reminded_at = now
                invitation.reminder_count += 1
            else:
                invitation.sent_at = now
            issued.append(invitation)
            messages.append(_message(wave, address, name, token, reminder=reminder))
        with transaction.atomic():
            fields = ["token_hash", "last_reminded_at", "reminder_count", "sent_at"]
            Invitation.objects.bulk_update(issued, fields, batch_size=1000)
            # Inside the transaction: if sending fails, the new hashes roll back too, and
            # the invitations stay unsent rather than holding links nobody received.
            with mail.get_connection() as connection:
                connection.send_messages(messages)
        report.emailed += len(messages)


def _recipient(invitation: Invitation) -> tuple[str, str]:
    if invitation.employee_id:
        return invitation.employee.email, invitation.employee.first_name
    customer = invitation.interaction.customer
    return customer.email, customer.name


def _message(wave: Wave, address: str, name: str, token: str, *, reminder: bool):
    link = respond_url(token)
    closes = timezone.localtime(wave.closes_at).strftime("%A %d %B %Y")
    greeting = f"Hello {name}," if name else "Hello,"
    if wave.population == Population.EMPLOYEE:
        promise = (
            "Your answers are confidential: they are stored without your name, and results are "
            f"only shown for groups of at least {wave.organization.min_group_size} people."
        )
    else:
        promise = "It takes about a minute and helps us serve you better."
    opening = (
        "A reminder: we would still like to hear from you. This link replaces the one we sent earlier."
        if reminder
        else f"{wave.organization.name} would like your views in “{wave.name}”."
    )
    body = (
        f"{greeting}\n\n{opening}\n\n{link}\n\n{promise}\n\n"
        f"The survey closes on {closes}. The link is personal: please do not forward it."
    )
    subject = ("Reminder: " if reminder else "") + wave.name
    return mail.EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address])


@transaction.atomic
def invitation_issue_link(*, wave: Wave, employee: Employee, now: dt.datetime | None = None) -> str:
    """A fresh link for a signed-in employee's own invitation (the "answer now" button).

    Replaces the e-mailed link, like a reminder. Raises AlreadySubmitted when they answered.
    """
    now = now or timezone.now()
    _require_open(wave, now)
    invitation = Invitation.objects.select_for_update().filter(wave=wave, employee=employee).first()
    if invitation is None:
        raise ValidationError("You are not invited to this survey.")
    if invitation.responded:
        raise AlreadySubmitted()
    token = tokens.new_token()
    invitation.token_hash = tokens.lookup_hash(token)
    invitation.sent_at = invitation.sent_at or now
    invitation.save(update_fields=["token_hash", "sent_at"])
    return token


# --------------------------------------------------------------------------- answering


@dataclass(frozen=True)
class Link:
    """An invitation as seen through its link: what the respondent page needs, no person.

    The submit path needs only the plain values; the Wave (with its instrument and
    organisation) that pages and errors show is built from the same row when first asked
    for — three model instances a submission does not need.
    """

    invitation_id: int
    responded: bool
    unit_id: int
    tenure_band: str
    job_family: str
    interaction_id: int | None
    wave_id: int
    wave_status: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    instrument_id: int
    instrument_updated_at: dt.datetime
    # (wave name, wave kind, instrument name, organisation id, name, min group size)
    shown: tuple = field(repr=False)

    @cached_property
    def wave(self) -> Wave:
        wave_name, kind, instrument_name, org_id, org_name, min_group_size = self.shown
        return Wave(
            id=self.wave_id,
            name=wave_name,
            kind=kind,
            status=self.wave_status,
            opens_at=self.opens_at,
            closes_at=self.closes_at,
            instrument=Instrument(
                id=self.instrument_id, name=instrument_name, updated_at=self.instrument_updated_at
            ),
            organization=Organization(id=org_id, name=org_name, min_group_size=min_group_size),
        )

    @property
    def questions(self):
        return questions_for(self.instrument_id, self.instrument_updated_at)


# The submit path's one read, as plain SQL: building the equivalent ORM query (with its
# select_related and only()) costs more CPU than the query itself takes in the database.
_LINK_SQL = """
SELECT i.id, i.responded, i.unit_id, i.tenure_band, i.job_family, i.interaction_id,
       w.id, w.name, w.kind, w.status, w.opens_at, w.closes_at,
       s.id, s.name, s.updated_at, o.id, o.name, o.min_group_size
FROM surveys_invitation i
JOIN surveys_wave w ON w.id = i.wave_id
JOIN surveys_instrument s ON s.id = w.instrument_id
JOIN org_organization o ON o.id = w.organization_id
WHERE i.token_hash = %s
"""


def _aware(value) -> dt.datetime:
    """A datetime read by raw SQL (SQLite returns text, PostgreSQL aware datetimes)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


def _hot_cursor(db):
    """A cursor of connection `db` for the two statements every submission runs.

    On PostgreSQL: a server-binding psycopg cursor on Django's own connection (same
    transaction state), so each statement is parsed and planned once per connection and
    then executed as a prepared statement, instead of being re-interpolated on the client
    and re-planned by the server for every respondent. The cursor is kept with the
    connection it belongs to and reused by later submissions (making one costs about as
    much CPU as the look-up's own Python); a new connection gets a new one.
    """
    if db.vendor != "postgresql":
        return db.cursor()
    import psycopg

    db.ensure_connection()
    raw = db.connection
    kept = getattr(db, "_survey_hot_cursor", None)
    if kept is None or kept[0] is not raw or kept[1].closed:
        cursor = psycopg.Cursor(raw)
        # psycopg's own timestamptz loader (compiled, in psycopg-binary) for the link's three
        # timestamps. Django's connection registers a Python subclass of it that only
        # re-attaches the connection's time zone to the value; reading the row took four
        # times as long with it. Both give the same instant, aware.
        oid = psycopg.adapters.types["timestamptz"].oid
        cursor.adapters.register_loader(
            oid, psycopg.adapters.get_loader(oid, psycopg.pq.Format.TEXT)
        )
        kept = (raw, cursor)
        db._survey_hot_cursor = kept
    return contextlib.nullcontext(kept[1])


def _hot_execute(db, cursor, sql: str, params) -> None:
    if db.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    # Outside Django's cursor wrapper: translate driver errors (a unique violation must
    # still arrive as django.db.IntegrityError).
    with db.wrap_database_errors:
        cursor.execute(sql, params, prepare=True)


def link_resolve(token: str) -> Link:
    """The invitation behind a token, in one indexed query; UnknownLink for anything else."""
    if not tokens.looks_like_token(token):
        raise UnknownLink()
    db = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy looks it up
    with _hot_cursor(db) as cursor:
        _hot_execute(db, cursor, _LINK_SQL, [tokens.lookup_hash(token)])
        row = cursor.fetchone()
    if row is None:
        raise UnknownLink()
    (invitation_id, responded, unit_id, band, family, interaction_id) = row[:6]
    (wave_id, wave_name, kind, status, opens_at, closes_at) = row[6:12]
    (instrument_id, instrument_name, updated_at, org_id, org_name, min_group_size) = row[12:]
    return Link(
        invitation_id=invitation_id,
        responded=bool(responded),
        unit_id=unit_id,
        tenure_band=band,
        job_family=family,
        interaction_id=interaction_id,
        wave_id=wave_id,
        wave_status=status,
        opens_at=_aware(opens_at),
        closes_at=_aware(closes_at),
        instrument_id=instrument_id,
        instrument_updated_at=_aware(updated_at),
        shown=(wave_name, kind, instrument_name, org_id, org_name, min_group_size),
    )


def link_check(link: Link, now: dt.datetime | None = None) -> None:
    """Raise the reason a resolved link cannot be answered now (closed, already used)."""
    now = now or timezone.now()
    if link.wave_status == Wave.Status.CLOSED or now >= link.closes_at:
        raise WaveClosed(link.wave)
    if link.wave_status != Wave.Status.OPEN or now < link.opens_at:
        # Invitations go out only once a wave is open, so this is a wave paused back to draft.
        raise WaveClosed(link.wave)
    if link.responded:
        raise AlreadySubmitted()


def response_submit(
    *, token: str, answers: Any, now: dt.datetime | None = None, returning: bool = True
):
    """Record a respondent's answers, once: the hot path of every survey; the stored response
    (or None with `returning=False`: the submit shortcut answers 201 and needs none built).

    One indexed read resolves the token; then one transaction flips the invitation's
    `responded` flag (only if it is still unset, which serialises double submits), inserts
    the response and deletes the draft. A confidential response copies the invitation's
    frozen attributes and nothing else. The unique `submission_key` is the database's
    own guarantee that one link yields at most one response.

    Raises UnknownLink (404), WaveClosed (410), AlreadySubmitted (409) or
    questions.AnswerError (422, naming each bad field).
    """
    now = now or timezone.now()
    link = link_resolve(token)
    link_check(link, now)
    cleaned = clean_answers(link.questions, answers)
    try:
        if connection.vendor == "postgresql":
            response = _store_postgresql(link, token, cleaned, now, returning=returning)
        else:
            response = _store(link, token, cleaned, now)
    except IntegrityError:
        raise AlreadySubmitted() from None
    return response


def _employee_response_fields(link: Link, token: str) -> dict[str, Any]:
    """What an employee response copies from its link: the frozen attributes, nothing else."""
    return {
        "wave_id": link.wave_id,
        "submission_key": tokens.submission_key(token),
        "unit_id": link.unit_id,
        "tenure_band": link.tenure_band,
        "job_family": link.job_family,
    }


def _new_response(link: Link, token: str, cleaned: dict, now: dt.datetime):
    if link.interaction_id is None:
        return Response(**_employee_response_fields(link, token), answers=cleaned)
    return CustomerResponse(
        wave_id=link.wave_id,
        interaction_id=link.interaction_id,
        unit_id=link.unit_id,
        answers=cleaned,
        submitted_at=now,
    )


def _store(link: Link, token: str, cleaned: dict, now: dt.datetime):
    """Flag, insert and drop the draft in one transaction (any database)."""
    with transaction.atomic():
        marked = Invitation.objects.filter(pk=link.invitation_id, responded=False).update(
            responded=True
        )
        if not marked:
            raise AlreadySubmitted()
        response = _new_response(link, token, cleaned, now)
        response.save(force_insert=True)
        Draft.objects.filter(key=tokens.draft_key(token)).delete()
    return response


@functools.cache
def _store_statement(model) -> tuple[str, list]:
    """The one statement that stores a `model` response (built once per model), and its fields.

    Data-modifying CTEs of one statement run in one snapshot and commit together; the
    INSERT reads from the UPDATE, so it only happens when this call flipped the flag.
    """
    fields = [f for f in model._meta.concrete_fields if f.column != "id" or model is Response]
    columns = ", ".join(f.column for f in fields)
    values = ", ".join("%s::jsonb" if f.name == "answers" else "%s" for f in fields)
    # Table and columns come from the model; every value is a %s parameter.
    sql = f"""
        WITH marked AS (
            UPDATE surveys_invitation SET responded = true
            WHERE id = %s AND NOT responded RETURNING id
        ), stored AS (
            INSERT INTO {model._meta.db_table} ({columns}) SELECT {values} FROM marked RETURNING id
        ), dropped AS (
            DELETE FROM surveys_draft WHERE key = %s
        )
        SELECT id FROM stored
    """  # nosec B608
    return sql, fields


def _store_postgresql(
    link: Link, token: str, cleaned: dict, now: dt.datetime, *, returning: bool = True
):
    """The same three writes as `_store`, as one statement: one round trip, one commit."""
    db = connections[DEFAULT_DB_ALIAS]
    if link.interaction_id is None:
        # The employee response's columns as they are stored (ids, text, JSON): what
        # `_new_response` would build, without a model instance and a conversion per field.
        model, values = (
            Response,
            {
                **_static_defaults(Response),
                "id": uuid.uuid4(),
                **_employee_response_fields(link, token),
            },
        )
    else:
        response = _new_response(link, token, cleaned, now)
        model = type(response)
        values = {
            f.attname: f.get_db_prep_save(getattr(response, f.attname), db)
            for f in model._meta.concrete_fields
        }
    values["answers"] = json.dumps(cleaned)
    sql, fields = _store_statement(model)
    params = [link.invitation_id, *(values[f.attname] for f in fields), tokens.draft_key(token)]
    # Outside a transaction the statement is its own (autocommit: no BEGIN/COMMIT round
    # trips); inside one (tests, callers) a savepoint keeps a unique violation contained.
    scope = transaction.atomic() if db.in_atomic_block else contextlib.nullcontext()
    with scope, _hot_cursor(db) as cursor:
        _hot_execute(db, cursor, sql, params)
        stored = cursor.fetchone()
    if stored is None:
        raise AlreadySubmitted()
    if not returning:
        return None
    if model is Response:
        response = Response(**{**values, "answers": cleaned})
    response.pk = stored[0]
    response._state.adding = False
    return response


@functools.cache
def _static_defaults(model) -> dict[str, Any]:
    """Each field's value when none is given, as stored (e.g. a response's `source`), except
    where the default is computed afresh for each row (ids, new dicts)."""
    return {
        f.attname: f.get_db_prep_save(f.get_default(), connection)
        for f in model._meta.concrete_fields
        if not (f.has_default() and callable(f.default))
    }


def draft_save(*, token: str, answers: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    """Save answers given so far (validated, required questions may wait) under the link."""
    link = link_resolve(token)
    link_check(link, now)
    cleaned = clean_answers(link.questions, answers, partial=True)
    Draft.objects.update_or_create(
        key=tokens.draft_key(token), defaults={"wave_id": link.wave_id, "answers": cleaned}
    )
    return cleaned


def draft_answers(token: str) -> dict[str, Any]:
    draft = Draft.objects.filter(key=tokens.draft_key(token)).only("answers").first()
    return dict(draft.answers) if draft else {}
