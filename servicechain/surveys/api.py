"""JSON API of the surveys app (mounted under /api/)."""

from ninja import Router

router = Router(tags=["surveys"])
