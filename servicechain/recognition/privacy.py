"""Recognition's part of a person's data (see `servicechain.org.privacy`).

Export: the kudos they gave and received, their points ledger, goals with key results and
check-ins, badges with their evidence, spot bonuses, and the comments and reactions of
their login.

Erasure: their goals, badges, comments and reactions are deleted; posts they wrote, and
posts that recognised only them, lose their message and leave every feed; in posts shared
with others they are left out of what anyone reads. The points ledger and spot bonuses
stay against the pseudonymised record (money and points owed are accounting records), a
bonus's reason is blanked.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from servicechain.org.privacy import Erasure, register_personal_data, when

from .models import (
    Award,
    Comment,
    Goal,
    Kudos,
    KudosRecipient,
    PointsEntry,
    Reaction,
    Report,
    SpotBonus,
)

ERASED_MESSAGE = "[removed: the author's or recipient's data was erased]"


def _post(kudos: Kudos) -> dict:
    return {
        "id": kudos.pk,
        "at": when(kudos.created_at),
        "from": kudos.giver.full_name or kudos.giver.external_id,
        "team": kudos.team.name if kudos.team_id else None,
        "values": [v.name for v in kudos.values.all()],
        "message": kudos.message,
        "visibility": kudos.visibility,
        "points_each": kudos.points_each,
    }


def _export(employee, user) -> dict:
    received = (
        Kudos.objects.filter(recipients__employee=employee)
        .select_related("giver", "team")
        .prefetch_related("values")
        .order_by("created_at")
    )
    given = (
        Kudos.objects.filter(giver=employee)
        .select_related("giver", "team")
        .prefetch_related("values")
        .order_by("created_at")
    )
    goals = Goal.objects.filter(employee=employee).prefetch_related("key_results", "check_ins")
    out = {
        "kudos_received": [_post(k) for k in received],
        "kudos_given": [_post(k) for k in given],
        "points": [
            {"at": when(e.created_at), "kind": e.kind, "points": e.points, "kudos": e.kudos_id}
            for e in PointsEntry.objects.filter(employee=employee).order_by("created_at", "pk")
        ],
        "goals": [
            {
                "quarter": g.quarter_label,
                "title": g.title,
                "status": g.status,
                "final_score": str(g.final_score) if g.final_score is not None else None,
                "key_results": [
                    {
                        "title": k.title,
                        "start": str(k.start),
                        "target": str(k.target),
                        "current": str(k.current),
                        "unit": k.unit,
                    }
                    for k in g.key_results.all()
                ],
                "check_ins": [
                    {"at": when(c.created_at), "score": str(c.score), "comment": c.comment}
                    for c in g.check_ins.all()
                ],
            }
            for g in goals
        ],
        "badges": [
            {
                "badge": a.badge.name,
                "at": when(a.occurred_at),
                "evidence": a.evidence,
                "reason": a.reason,
            }
            for a in Award.objects.filter(employee=employee).select_related("badge")
        ],
        "spot_bonuses": [
            {
                "at": when(b.created_at),
                "amount": str(b.amount.amount),
                "currency": str(b.amount.currency),
                "reason": b.reason,
                "status": b.status,
            }
            for b in SpotBonus.objects.filter(employee=employee)
        ],
        "comments": [],
        "reactions": [],
    }
    if user is not None:
        out["comments"] = [
            {"at": when(c.created_at), "kudos": c.kudos_id, "text": c.text}
            for c in Comment.objects.filter(author=user, kudos__organization=employee.organization)
        ]
        out["reactions"] = [
            {"at": when(r.created_at), "kudos": r.kudos_id, "kind": r.kind}
            for r in Reaction.objects.filter(user=user, kudos__organization=employee.organization)
        ]
    return out


def _erase(erasure: Erasure) -> dict[str, int]:
    employee = erasure.employee
    organization = erasure.organization
    alone = (
        Kudos.objects.filter(recipients__employee=employee)
        .annotate(people=Count("recipients"))
        .filter(people=1)
        .values_list("pk", flat=True)
    )
    emptied = Kudos.objects.filter(Q(giver=employee) | Q(pk__in=list(alone)))
    posts = emptied.update(
        message=ERASED_MESSAGE, listed=False, hidden_at=timezone.now(), hidden_reason="erasure"
    )
    KudosRecipient.objects.filter(kudos__in=emptied).update(hidden=True)
    shared = KudosRecipient.objects.filter(employee=employee).update(private=True)
    goals, _ = Goal.objects.filter(employee=employee).delete()
    badges, _ = Award.objects.filter(employee=employee).delete()
    reasons = SpotBonus.objects.filter(employee=employee).update(reason="[erased]")
    comments = reactions = 0
    if erasure.user is not None:
        comments, _ = Comment.objects.filter(
            author=erasure.user, kudos__organization=organization
        ).delete()
        reactions, _ = Reaction.objects.filter(
            user=erasure.user, kudos__organization=organization
        ).delete()
        Report.objects.filter(reporter=erasure.user, kudos__organization=organization).update(
            reporter=None
        )
    return {
        "kudos messages removed": posts,
        "kudos left out of what others read": shared,
        "goals deleted (with key results and check-ins)": goals,
        "badges deleted": badges,
        "spot bonus reasons blanked": reasons,
        "kudos comments deleted": comments,
        "kudos reactions deleted": reactions,
    }


register_personal_data("recognition", export=_export, erase=_erase, order=60)
