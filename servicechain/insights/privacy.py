"""The insights app's part of a person's data (see `servicechain.org.privacy`): the action
plans they own, the tasks given to them and the progress notes they wrote.

Erasure keeps the plans (they are the unit's, not the person's): tasks lose their assignee
(they fall back to the plan's owner), notes lose their author ("someone who has left"), and
plans the person owned stay with their pseudonymous login, which the plan page names.
"""

from __future__ import annotations

from servicechain.org.privacy import Erasure, register_personal_data, when

from .models import ActionPlan, PlanTask, ProgressUpdate


def _plans(employee, user) -> dict:
    owned = []
    if user is not None:
        owned = [
            {
                "title": p.title,
                "unit": p.unit.name,
                "driver": p.driver,
                "status": p.status,
                "due_date": when(p.due_date),
                "goal": p.goal,
                "notes": p.notes,
                "shared_with_team": p.shared_with_team,
                "created_at": when(p.created_at),
            }
            for p in ActionPlan.objects.filter(
                organization=employee.organization, owner=user
            ).select_related("unit")
        ]
    tasks = [
        {
            "plan": t.plan.title,
            "title": t.title,
            "due_date": when(t.due_date),
            "done": t.done,
            "done_at": when(t.done_at),
        }
        for t in PlanTask.objects.filter(assignee=employee).select_related("plan")
    ]
    notes = []
    if user is not None:
        notes = [
            {"plan": u.plan.title, "note": u.note, "created_at": when(u.created_at)}
            for u in ProgressUpdate.objects.filter(
                plan__organization=employee.organization, author=user
            ).select_related("plan")
        ]
    return {"plans_owned": owned, "tasks_assigned": tasks, "progress_notes": notes}


def _plans_erase(erasure: Erasure) -> dict[str, int]:
    tasks = PlanTask.objects.filter(assignee=erasure.employee).update(assignee=None)
    notes = 0
    if erasure.user is not None:
        notes = ProgressUpdate.objects.filter(
            plan__organization=erasure.organization, author=erasure.user
        ).update(author=None)
    return {"plan tasks unassigned": tasks, "progress notes without author": notes}


register_personal_data("action_plans", export=_plans, erase=_plans_erase, order=40)
