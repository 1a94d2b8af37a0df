"""Survey link tokens and the three one-way hashes derived from them.

A token is `secrets.token_urlsafe(32)` (256 random bits). It exists in clear only in the
e-mail (or the respondent's browser); the database stores hashes, each with its own
domain prefix so that none can be computed from another:

* `lookup_hash`     — on the invitation: finds it when the link is opened;
* `submission_key`  — on the response: a second submit with the same link violates a
  unique constraint, yet nobody without the token can match a response to an invitation;
* `draft_key`       — on the autosaved draft, deleted at submit.

Plain SHA-256 suffices (no salt, no key stretching): the input is 256 random bits, so
there is nothing to guess, and the lookup must stay one indexed equality.
"""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _sha256(prefix: bytes, token: str) -> str:
    return hashlib.sha256(prefix + token.encode("utf-8", "surrogatepass")).hexdigest()


def lookup_hash(token: str) -> str:
    return _sha256(b"", token)


def submission_key(token: str) -> str:
    return _sha256(b"servicechain/response/", token)


def draft_key(token: str) -> str:
    return _sha256(b"servicechain/draft/", token)


# The URL-safe base64 alphabet of `new_token`, at a length that allows for older tokens.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")


def looks_like_token(token: str) -> bool:
    """Cheap shape check so junk never reaches the database (same outcome as unknown)."""
    return _TOKEN_SHAPE.fullmatch(token) is not None
