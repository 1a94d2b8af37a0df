"""Recognition's notification events (docs/notifications.md, "How an app adds an event").

Imported by `RecognitionConfig.ready()`; services import the keys from here.
"""

from __future__ import annotations

from servicechain.notifications.events import register_event

KUDOS_RECEIVED = register_event(
    "recognition.kudos_received",
    "Someone recognised me",
    email=True,
    description="A colleague or your manager recognised you (or your team) for a value.",
)
BADGE_EARNED = register_event(
    "recognition.badge_earned",
    "I earned a badge",
    email=True,
    description="A rule found the evidence (customers' ratings, a goal met, years of service) "
    "or your manager awarded it.",
)
SPOT_BONUS = register_event(
    "recognition.spot_bonus",
    "I was nominated for a spot bonus",
    email=True,
    description="Your manager nominated you for a bonus for extraordinary service.",
)
UNRECOGNISED_NUDGE = register_event(
    "recognition.unrecognised_nudge",
    "People in my team have not been recognised for 60 days (managers)",
    email=True,
    description="At most once a week, with who to look at on Recognition spread.",
)
POST_REPORTED = register_event(
    "recognition.post_reported",
    "A recognition post was reported (admins)",
    email=True,
    description="Someone reported a post; decide on Recognition → Moderation.",
)
