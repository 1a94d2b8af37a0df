"""The care app's notifications (docs/notifications.md): what people are told, and when."""

from servicechain.notifications.events import register_event

REPORT_RECEIVED = register_event(
    "care.report_received",
    "An incident was reported in my team (managers)",
    email=True,
    description="Someone reported a customer incident; decide what the line says, and look "
    "after the person.",
)
DECISION = register_event(
    "care.decision",
    "What was decided about an incident I reported",
    email=True,
    description="Your manager confirmed what happens next, or an appeal was reviewed.",
)
APPEAL_WAITING = register_event(
    "care.appeal_waiting",
    "A customer's appeal waits for my review (managers)",
    email=True,
    description="A customer appealed a sanction; someone other than the person who confirmed "
    "it reviews it.",
)
CHECKIN_DUE = register_event(
    "care.checkin_due",
    "A check-in with someone after an incident is due (managers)",
    email=True,
    description="About 72 hours and about a month after a serious incident; overdue check-ins "
    "go to the next manager up.",
)
SUPPORT_ASKED = register_event(
    "care.support_asked",
    "Someone asks me for support",
    email=True,
    description="A colleague chose you as their support person and asked for a word.",
)
GOODWILL_WAITING = register_event(
    "care.goodwill_waiting",
    "A goodwill gesture above the allowance waits for me (managers)",
    email=True,
    description="Approve or decline it in one click.",
)
GOODWILL_DECIDED = register_event(
    "care.goodwill_decided",
    "My goodwill request was decided",
    email=True,
    description="Your manager approved or declined a gesture above your allowance.",
)
