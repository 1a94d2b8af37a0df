"""Demo data of the surveys app, run by servicechain.demo after the organisation is seeded.

The synthetic organisation's item-level answers become closed employee waves (census and
pulse, each with invitations so response rates show) and quarterly customer waves linked
to the interactions they rate, all written with bulk inserts. Then one census is left OPEN
with an invitation for every current employee, so the demo employee can answer it from the
app; about two thirds of the others have already answered (answers resampled from the last
census in the same unit), and one unit of the demo manager's area is kept below the
minimum group size so a withheld cell is visible. The leaver survey (the `exit` instrument)
is one closed wave over the same months, invited to every voluntary leaver and answered by
those the synthetic organisation says answered it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from servicechain.org.models import Employee, Interaction, Membership, Unit

from . import services, tokens
from .bank import load_bank
from .models import CustomerResponse, Invitation, Response, Wave

BATCH = 2000
OPEN_WAVE_DAYS = 14
OPEN_WAVE_RESPONSE_RATE = 0.65


def seed_demo(
    *,
    organization,
    synthetic,
    today: dt.date | None = None,
    progress: Callable[[str], None] = lambda m: None,
) -> None:
    """Load the synthetic surveys into the demo organisation (nothing is printed here).

    ``today`` (default: the clock's date) is the day the open census is seeded on.
    """
    rng = np.random.default_rng(int(synthetic.ground_truth.get("seed") or 0) + 11)
    with transaction.atomic():
        context = _Context(organization, synthetic, rng)
        waves = _employee_waves(context)
        progress(f"  {sum(waves.values()):>9,} employee survey responses in {len(waves)} waves")
        leavers = _leaver_wave(context)
        progress(f"  {leavers:>9,} leaver survey responses")
        customers = _customer_waves(context, _seeding_moment(today))
        progress(f"  {customers:>9,} customer survey responses, linked to interactions")
        invited, answered = _open_wave(context, today)
        progress(f"  {invited:>9,} invitations to the open census ({answered:,} answered so far)")


class _Context:
    """Lookups shared by the seeding steps."""

    def __init__(self, organization, synthetic, rng):
        self.organization = organization
        self.synthetic = synthetic
        self.rng = rng
        self.bank = load_bank()
        self.root = Unit.objects.filter(organization=organization, depth=0).order_by("path").first()
        self.units = dict(
            Unit.objects.filter(organization=organization).values_list("external_id", "pk")
        )
        admin = (
            Membership.objects.filter(organization=organization, role=Membership.Role.ADMIN)
            .select_related("user")
            .first()
        )
        self.owner = admin.user if admin else None
        self.instruments = {
            template: services.instrument_create(
                organization=organization,
                name=name,
                population=self.bank.item(self.bank.instruments[template][0]).population,
                template=template,
                owner=self.owner,
            )
            for template, name in (
                ("engagement_census", "Engagement census"),
                ("engagement_pulse", "Engagement pulse"),
                ("customer_transactional", "Customer post-contact survey"),
                ("exit", "Leaver survey"),
            )
        }


def _seeding_moment(today: dt.date | None) -> dt.datetime:
    """``today`` at the clock's time of day (now, without it)."""
    now = timezone.now()
    return now if today is None else dt.datetime.combine(today, now.timetz())


def _aware(value) -> dt.datetime:
    moment = pd.Timestamp(value).to_pydatetime()
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=dt.UTC)


def _answers(frame: pd.DataFrame, codes: list[str], comment_code: str | None) -> list[dict]:
    """Row-wise answer dicts (missing answers left out), fast enough for 10^5 rows."""
    present = [c for c in codes if c in frame.columns]
    values = frame[present].to_numpy(dtype=float, na_value=np.nan)
    comments = frame["comment"].tolist() if "comment" in frame.columns else [None] * len(frame)
    out = []
    for row, comment in zip(values, comments, strict=True):
        answers = {code: int(v) for code, v in zip(present, row, strict=True) if not math.isnan(v)}
        if comment_code and isinstance(comment, str) and comment.strip():
            answers[comment_code] = comment
        out.append(answers)
    return out


def _placeholder_hash() -> str:
    # A hash of a token nobody ever sees: seeded invitations have no usable link.
    return tokens.lookup_hash(tokens.new_token())


# --------------------------------------------------------------------------- past employee waves


def _employee_waves(context: _Context) -> dict[str, int]:
    synthetic, organization = context.synthetic, context.organization
    employees = pd.DataFrame(
        list(
            Employee.objects.filter(organization=organization).values(
                "pk", "external_id", "unit_id", "hire_date", "leave_date", "job_family"
            )
        )
    )
    # People other seeders added (the contact centre's agents) have no synthetic answers:
    # in each past wave they answer as often as everyone did, resampled from their unit.
    newcomers = employees[~employees["external_id"].isin(synthetic.employees["external_id"])]
    counts, previous = {}, None
    for row in synthetic.employee_waves.itertuples():
        kind = Wave.Kind.CENSUS if row.kind == "census" else Wave.Kind.PULSE
        wave = services.wave_create(
            organization=organization,
            instrument=context.instruments[row.instrument],
            name=row.name,
            audience_unit=context.root,
            opens_at=_aware(row.opens_on),
            closes_at=_aware(row.closes_on) + dt.timedelta(hours=23, minutes=59),
            kind=kind,
            cadence=Wave.Cadence.QUARTERLY,
            previous=previous,
        )
        responses = synthetic.employee_responses[
            synthetic.employee_responses["wave_id"] == row.wave_id
        ]
        codes = context.bank.instruments[row.instrument]
        answers = _answers(responses, codes, context.bank.text_item(row.instrument))
        unit_ids = responses["unit_external_id"].map(context.units).to_numpy()
        Response.objects.bulk_create(
            (
                Response(
                    wave=wave,
                    external_id=response_id,
                    unit_id=int(unit_id),
                    tenure_band=band or "",
                    job_family=family or "",
                    answers=answer,
                    source=Response.Source.SEED,
                )
                for response_id, unit_id, band, family, answer in zip(
                    responses["response_id"],
                    unit_ids,
                    responses["tenure_band"],
                    responses["job_family"],
                    answers,
                    strict=True,
                )
            ),
            batch_size=BATCH,
        )
        added = _newcomer_responses(context, wave, newcomers, answers, unit_ids)
        answered = pd.Series([*unit_ids, *added]).value_counts()
        _past_invitations(context, wave, employees, answered)
        services.attributes_coarsen(wave=wave)  # the same rule as invitations sent live
        counts[wave.name] = len(responses) + len(added)
        previous = wave
    Wave.objects.filter(
        organization=organization, kind__in=[Wave.Kind.CENSUS, Wave.Kind.PULSE]
    ).update(status=Wave.Status.CLOSED)
    return counts


def _newcomer_responses(
    context, wave: Wave, newcomers: pd.DataFrame, answers: list[dict], unit_ids
) -> list[int]:
    """Responses of people employed when `wave` opened who are not in the synthetic data, at
    the wave's own response rate, each a copy of a random answer from their unit (or anyone's).
    Returns the unit id of each response added."""
    opened = wave.opens_at.date()
    present = newcomers[
        (newcomers["hire_date"] <= opened)
        & (newcomers["leave_date"].isna() | (newcomers["leave_date"] > opened))
    ]
    if present.empty or not answers:
        return []
    active = Employee.objects.filter(
        organization=context.organization, hire_date__lte=opened
    ).exclude(leave_date__lte=opened)
    rate = min(len(answers) / max(active.count() - len(present), 1), 1.0)
    pools: dict[int, list[dict]] = {}
    for unit_id, answer in zip(unit_ids, answers, strict=True):
        pools.setdefault(int(unit_id), []).append(answer)
    added, rows = [], []
    for person in present.itertuples():
        if context.rng.random() >= rate:
            continue
        pool = pools.get(int(person.unit_id)) or answers
        answer = dict(pool[int(context.rng.integers(len(pool)))])
        answer.pop(context.bank.text_item(wave.instrument.template) or "", None)
        rows.append(
            Response(
                wave=wave,
                unit_id=int(person.unit_id),
                tenure_band=services.tenure_band(person.hire_date, opened),
                job_family=person.job_family,
                answers=answer,
                source=Response.Source.SEED,
            )
        )
        added.append(int(person.unit_id))
    Response.objects.bulk_create(rows, batch_size=BATCH)
    return added


def _past_invitations(
    context, wave: Wave, employees: pd.DataFrame, answered_by_unit: pd.Series
) -> None:
    """Invitations of a past wave: everyone employed when it opened, with `responded` set on
    as many per unit as the unit has responses (chosen at random: the demo never knows who)."""
    opened = wave.opens_at.date()
    active = employees[
        (employees["hire_date"] <= opened)
        & (employees["leave_date"].isna() | (employees["leave_date"] > opened))
    ]
    responded = np.zeros(len(active), dtype=bool)
    units = active["unit_id"].to_numpy()
    for unit_id, answered in answered_by_unit.items():
        members = np.flatnonzero(units == unit_id)
        take = min(int(answered), members.size)
        responded[context.rng.choice(members, size=take, replace=False)] = True
    Invitation.objects.bulk_create(
        (
            Invitation(
                wave=wave,
                token_hash=_placeholder_hash(),
                employee_id=int(person.pk),
                unit_id=int(person.unit_id),
                tenure_band=services.tenure_band(person.hire_date, opened),
                job_family=person.job_family,
                sent_at=wave.opens_at,
                responded=bool(flag),
            )
            for person, flag in zip(active.itertuples(), responded, strict=True)
        ),
        batch_size=BATCH,
    )


# --------------------------------------------------------------------------- the leaver survey

EXIT_ITEMS = ("EXT1", "EXT2", "EXT3", "EXT4", "EXT5")


def _leaver_wave(context: _Context) -> int:
    """One closed leaver-survey wave over the synthetic months: an invitation for every
    voluntary leaver of the period (on their last day), the synthetic answers, and
    attributes coarsened as for any wave. Returns the number of responses."""
    synthetic = context.synthetic
    frame = getattr(synthetic, "exit_responses", None)
    if frame is None or frame.empty:
        return 0
    sizes = synthetic.ground_truth["sizes"]
    first = pd.Timestamp(f"{sizes['start']}-01")
    last = pd.Timestamp(f"{sizes['end']}-01") + pd.offsets.MonthEnd(0)
    wave = services.wave_create(
        organization=context.organization,
        instrument=context.instruments["exit"],
        name=f"Leaver survey {first:%b %Y} to {last:%b %Y}",
        audience_unit=context.root,
        opens_at=_aware(first),
        closes_at=_aware(last) + dt.timedelta(hours=23, minutes=59),
        kind=Wave.Kind.CENSUS,
    )
    answers = _answers(frame, list(EXIT_ITEMS), None)
    for answer, reason in zip(answers, frame["EXT_REASON"], strict=True):
        if isinstance(reason, str) and reason:
            answer["EXT_REASON"] = reason
    unit_ids = frame["unit_external_id"].map(context.units).to_numpy()
    Response.objects.bulk_create(
        (
            Response(
                wave=wave,
                external_id=response_id,
                unit_id=int(unit_id),
                tenure_band=band or "",
                job_family=family or "",
                answers=answer,
                source=Response.Source.SEED,
            )
            for response_id, unit_id, band, family, answer in zip(
                frame["response_id"],
                unit_ids,
                frame["tenure_band"],
                frame["job_family"],
                answers,
                strict=True,
            )
        ),
        batch_size=BATCH,
    )
    _leaver_invitations(context, wave, pd.Series(unit_ids).value_counts(), first, last)
    services.attributes_coarsen(wave=wave)
    Wave.objects.filter(pk=wave.pk).update(status=Wave.Status.CLOSED)
    return len(frame)


def _leaver_invitations(context, wave: Wave, answered_by_unit: pd.Series, first, last) -> None:
    """Every voluntary leaver of the period is invited on their last day; as many per unit
    as the unit has responses are marked as having answered (chosen at random)."""
    leavers = list(
        Employee.objects.filter(
            organization=context.organization,
            leave_type="voluntary",
            leave_date__gte=first.date(),
            leave_date__lte=last.date(),
        )
        .order_by("pk")
        .values("pk", "unit_id", "hire_date", "leave_date", "job_family")
    )
    # A stream of its own, so the rest of the demo draws what it drew before.
    rng = np.random.default_rng(int(context.synthetic.ground_truth.get("seed") or 0) + 13)
    units = np.array([p["unit_id"] for p in leavers])
    responded = np.zeros(len(leavers), dtype=bool)
    for unit_id, answered in answered_by_unit.items():
        members = np.flatnonzero(units == unit_id)
        take = min(int(answered), members.size)
        responded[rng.choice(members, size=take, replace=False)] = True
    Invitation.objects.bulk_create(
        (
            Invitation(
                wave=wave,
                token_hash=_placeholder_hash(),
                employee_id=person["pk"],
                unit_id=person["unit_id"],
                tenure_band=services.tenure_band(person["hire_date"], person["leave_date"]),
                job_family=person["job_family"],
                sent_at=_aware(pd.Timestamp(person["leave_date"])),
                responded=bool(flag),
            )
            for person, flag in zip(leavers, responded, strict=True)
        ),
        batch_size=BATCH,
    )


# --------------------------------------------------------------------------- customer waves


def _customer_waves(context: _Context, now: dt.datetime) -> int:
    """One wave per quarter; past quarters' waves are closed, the current one stays open."""
    frame = context.synthetic.customer_responses
    if frame.empty:
        return 0
    interactions = {
        external_id: (pk, unit_id)
        for external_id, pk, unit_id in Interaction.objects.filter(
            organization=context.organization
        ).values_list("external_id", "pk", "unit_id")
    }
    frame = frame[frame["interaction_external_id"].isin(interactions.keys())]
    submitted = pd.to_datetime(frame["submitted_at"], utc=True)
    quarters = submitted.dt.tz_localize(None).dt.to_period("Q")
    codes = context.bank.instruments["customer_transactional"]
    comment_code = context.bank.text_item("customer_transactional")
    previous, total = None, 0
    for quarter in sorted(quarters.unique()):
        rows = frame[quarters == quarter]
        wave = services.wave_create(
            organization=context.organization,
            instrument=context.instruments["customer_transactional"],
            name=f"Customer survey {quarter.year}-Q{quarter.quarter}",
            audience_unit=context.root,
            opens_at=_aware(quarter.start_time),
            closes_at=_aware((quarter + 1).start_time) - dt.timedelta(seconds=1),
            kind=Wave.Kind.CUSTOMER,
            cadence=Wave.Cadence.QUARTERLY,
            previous=previous,
        )
        answers = _answers(rows, codes, comment_code)
        CustomerResponse.objects.bulk_create(
            (
                CustomerResponse(
                    wave=wave,
                    external_id=response_id,
                    interaction_id=interactions[interaction][0],
                    unit_id=interactions[interaction][1],
                    answers=answer,
                    submitted_at=moment.to_pydatetime(),
                    source=CustomerResponse.Source.SEED,
                )
                for response_id, interaction, moment, answer in zip(
                    rows["response_id"],
                    rows["interaction_external_id"],
                    submitted[quarters == quarter],
                    answers,
                    strict=True,
                )
            ),
            batch_size=BATCH,
        )
        total += len(rows)
        previous = wave
    waves = Wave.objects.filter(organization=context.organization, kind=Wave.Kind.CUSTOMER)
    waves.filter(closes_at__lte=now).update(status=Wave.Status.CLOSED)
    waves.filter(closes_at__gt=now).update(status=Wave.Status.OPEN)
    return total


# --------------------------------------------------------------------------- the open census


def _open_wave(context: _Context, today: dt.date | None = None) -> tuple[int, int]:
    """An open census the demo employee can answer, partly answered by colleagues."""
    from servicechain.demo import pick_manager_unit

    now = _seeding_moment(today)
    wave = services.wave_create(
        organization=context.organization,
        instrument=context.instruments["engagement_census"],
        name=f"Engagement census {now:%Y-%m}",
        audience_unit=context.root,
        opens_at=now - dt.timedelta(days=2),
        closes_at=now + dt.timedelta(days=OPEN_WAVE_DAYS),
        kind=Wave.Kind.CENSUS,
        reminder_after_days=3,
        previous=Wave.objects.filter(organization=context.organization)
        .exclude(kind=Wave.Kind.CUSTOMER)
        .order_by("-opens_at")
        .first(),
    )
    Wave.objects.filter(pk=wave.pk).update(status=Wave.Status.OPEN)
    today = now.date()
    people = list(
        Employee.objects.filter(
            organization=context.organization, leave_date__isnull=True, hire_date__lte=today
        )
        .order_by("pk")
        .values("pk", "unit_id", "hire_date", "job_family", "user_id")
    )
    invitations = [
        Invitation(
            wave=wave,
            token_hash=_placeholder_hash(),
            employee_id=p["pk"],
            unit_id=p["unit_id"],
            tenure_band=services.tenure_band(p["hire_date"], wave.opens_at.date()),
            job_family=p["job_family"],
            sent_at=wave.opens_at,
        )
        for p in people
    ]
    answering = _who_answers(context, people, pick_manager_unit(context.organization))
    for invitation, answers in zip(invitations, answering, strict=True):
        invitation.responded = answers
    Invitation.objects.bulk_create(invitations, batch_size=BATCH)
    donors = _donor_answers(context)
    Response.objects.bulk_create(
        (
            Response(
                wave=wave,
                unit_id=invitation.unit_id,
                tenure_band=invitation.tenure_band,
                job_family=invitation.job_family,
                answers=_resample(donors, invitation.unit_id, context.rng),
                source=Response.Source.SEED,
            )
            for invitation in invitations
            if invitation.responded
        ),
        batch_size=BATCH,
    )
    services.attributes_coarsen(wave=wave)
    return len(invitations), int(sum(answering))


def _who_answers(context: _Context, people: list[dict], manager_unit: Unit) -> list[bool]:
    """About two thirds answer, except people with a login (the demo employee answers live),
    and in one unit of the manager's area fewer than the minimum group size answer."""
    answers = [
        p["user_id"] is None and context.rng.random() < OPEN_WAVE_RESPONSE_RATE for p in people
    ]
    area = set(
        Unit.objects.subtree(manager_unit).exclude(pk=manager_unit.pk).values_list("pk", flat=True)
    )
    by_unit: dict[int, list[int]] = {}
    for index, person in enumerate(people):
        if person["unit_id"] in area:
            by_unit.setdefault(person["unit_id"], []).append(index)
    if not by_unit:
        return answers
    small = min(by_unit, key=lambda unit: (len(by_unit[unit]), unit))
    limit = max(context.organization.min_group_size - 2, 1)
    answered = [i for i in by_unit[small] if answers[i]]
    for index in answered[limit:]:
        answers[index] = False
    if not answered:  # one answer at least, so the withheld cell is a real (small) group
        anyone = [i for i in by_unit[small] if people[i]["user_id"] is None]
        if anyone:
            answers[anyone[0]] = True
    return answers


def _donor_answers(context: _Context) -> dict:
    """Answers of the last synthetic census, by unit id, to resample the open wave from."""
    synthetic = context.synthetic
    census = synthetic.employee_waves[synthetic.employee_waves["instrument"] == "engagement_census"]
    last = synthetic.employee_responses[
        synthetic.employee_responses["wave_id"] == census["wave_id"].iloc[-1]
    ]
    answers = _answers(
        last,
        context.bank.instruments["engagement_census"],
        context.bank.text_item("engagement_census"),
    )
    by_unit: dict = {"*": answers}
    for unit, answer in zip(last["unit_external_id"].map(context.units), answers, strict=True):
        by_unit.setdefault(unit, []).append(answer)
    return by_unit


def _resample(donors: dict, unit_id: int, rng: np.random.Generator) -> dict:
    pool = donors.get(unit_id) or donors["*"]
    answers = dict(pool[int(rng.integers(len(pool)))])
    if rng.random() > 0.3:
        answers.pop("COMMENT", None)  # so the same comment rarely appears twice
    return answers
