"""Signals other apps listen to (e.g. after a bulk import of responses)."""

from django.dispatch import Signal

# Sent, once the transaction has committed, after a bulk change to a wave's responses: an
# import that created or replaced responses. Keyword argument: `wave`. A single submission is
# not announced: it shows as one more response (what readers compare), and a write per
# submission would sit on the survey's hot path.
responses_changed = Signal()


def announce_responses_changed(wave) -> None:
    from django.db import transaction

    from .models import Wave

    transaction.on_commit(lambda: responses_changed.send(sender=Wave, wave=wave))
