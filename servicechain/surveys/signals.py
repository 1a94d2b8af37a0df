"""Signals other apps listen to (e.g. insights keeps per-wave aggregates fresh)."""

from django.dispatch import Signal

# Sent after the responses of a wave changed (a submission, an import that created or
# replaced responses), once the transaction has committed. Keyword argument: `wave`.
responses_changed = Signal()


def announce_responses_changed(wave) -> None:
    from django.db import transaction

    from .models import Wave

    transaction.on_commit(lambda: responses_changed.send(sender=Wave, wave=wave))
