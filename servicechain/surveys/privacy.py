"""The surveys app's part of a person's data (see `servicechain.org.privacy`).

A person's invitations are theirs: the wave, the mailing dates and whether they answered.
Their answers are not, by design: a confidential `Response` has no link to anyone, so no
export can contain it and no erasure needs to touch it (docs/surveys.md, Confidentiality).

Retention: the free text of waves that closed long enough ago is blanked, a whole wave at a
time, in employee and customer responses alike. Scores stay, so published results and
trends do not move; only the words go.
"""

from __future__ import annotations

import datetime as dt

from servicechain.org.privacy import (
    Erasure,
    register_personal_data,
    register_retention_rule,
    when,
)

from .models import CustomerResponse, Instrument, Invitation, Response, Wave
from .questions import questions_of


def _invitations(employee, user) -> list[dict]:
    rows = Invitation.objects.filter(employee=employee).select_related("wave", "unit")
    return [
        {
            "wave": i.wave.name,
            "kind": i.wave.kind,
            "opens_at": when(i.wave.opens_at),
            "closes_at": when(i.wave.closes_at),
            "unit": i.unit.name,
            "tenure_band": i.tenure_band,
            "job_family": i.job_family,
            "sent_at": when(i.sent_at),
            "last_reminded_at": when(i.last_reminded_at),
            "reminders": i.reminder_count,
            "responded": i.responded,
        }
        for i in rows.order_by("wave__opens_at", "pk")
    ]


def _instruments(employee, user) -> list[str]:
    if user is None:
        return []
    return list(
        Instrument.objects.filter(organization=employee.organization, owner=user).values_list(
            "name", flat=True
        )
    )


def _invitations_erase(erasure: Erasure) -> dict[str, int]:
    """Invitations keep unit, attributes and the answered flag (response rates stay right),
    without the person."""
    unlinked = Invitation.objects.filter(employee=erasure.employee).update(employee=None)
    instruments = 0
    if erasure.user is not None:
        instruments = Instrument.objects.filter(
            organization=erasure.organization, owner=erasure.user
        ).update(owner=None)
    return {"survey invitations unlinked": unlinked, "instruments without owner": instruments}


def text_codes(wave: Wave) -> list[str]:
    return [q.code for q in questions_of(wave.instrument) if q.item.type == "text"]


def comments_blank(*, wave: Wave, dry_run: bool = False) -> int:
    """Blank every free-text answer of the wave (or count them on a dry run)."""
    codes = text_codes(wave)
    if not codes:
        return 0
    model = CustomerResponse if wave.kind == Wave.Kind.CUSTOMER else Response
    blanked, changed = 0, []
    responses = model.objects.filter(wave=wave, answers__has_any_keys=codes).only("pk", "answers")
    for response in responses:
        texts = [c for c in codes if str(response.answers.get(c) or "").strip()]
        if not texts:
            continue
        blanked += len(texts)
        response.answers = {**response.answers, **dict.fromkeys(texts, "")}
        changed.append(response)
    if not dry_run:
        model.objects.bulk_update(changed, ["answers"], batch_size=500)
    return blanked


def _comments_retention(*, organization, before: dt.datetime, dry_run: bool) -> int:
    waves = Wave.objects.filter(
        organization=organization, status=Wave.Status.CLOSED, closes_at__lt=before
    ).select_related("instrument")
    return sum(comments_blank(wave=wave, dry_run=dry_run) for wave in waves)


register_personal_data(
    "survey_invitations", export=_invitations, erase=_invitations_erase, order=30
)
register_personal_data("instruments_owned", export=_instruments, order=31)
register_retention_rule(
    "comments",
    what="survey comments",
    verb="blanked",
    policy_field="comment_months",
    apply=_comments_retention,
)
