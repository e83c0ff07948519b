"""The anonymous visitor's first-party id (the storefront's cookie, sent as a header): the API
keeps it with the lists it served them (attribution); it unlocks nothing."""

from __future__ import annotations

import re

VISITOR_HEADER = "x-visitor-id"
_VISITOR = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def visitor_of(value: str | None) -> str | None:
    """A well-formed visitor id, else None (it never identifies a customer)."""
    return value if value and _VISITOR.match(value) else None
