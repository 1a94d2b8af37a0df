"""JSON API of the insights app (mounted under /api/)."""

from ninja import Router

router = Router(tags=["insights"])
