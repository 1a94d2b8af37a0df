"""JSON API of the contactcentre app (mounted under /api/)."""

from ninja import Router

router = Router(tags=["contactcentre"])
