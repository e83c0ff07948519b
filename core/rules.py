"""Merchandising rules (DESIGN §10): what a merchandiser writes to steer a list (pin, boost,
bury, hide, filter), dated and scoped, and their store in the main part of the state (SQLite
or PostgreSQL), read by every API process (`RuleStore.current`).

A rule's body is kept as one JSON document (its schema is `RuleIn`); the table adds who wrote
it and when. Every write bumps the ``rules`` row of ``state_versions`` in its own transaction,
so each process sees a change at its next look (at most every `POLL_S`).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.documents import Documents

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)

#: Pins past this position are refused: a list shows 100 items at most.
MAX_POSITION = 100

Surface = Literal["feed", "trending", "similar", "search", "browse"]
SURFACES: tuple[Surface, ...] = ("feed", "trending", "similar", "search", "browse")
Value = Annotated[str, StringConstraints(min_length=1, max_length=100)]
ArticleId = Annotated[str, StringConstraints(pattern=r"^[0-9]{10}$")]
Status = Literal["active", "scheduled", "expired", "disabled"]


class QueryCondition(BaseModel):
    """Which search queries a rule applies to. Queries and texts are compared lower-cased, as
    words (letters and digits): ``contains`` every word of ``text`` appears in the query, in
    any order; ``phrase`` the words of ``text`` appear together, in order; ``equals`` the query
    is those words and nothing else."""

    model_config = ConfigDict(extra="forbid")
    match: Literal["contains", "phrase", "equals"] = "contains"
    text: Annotated[str, StringConstraints(min_length=1, max_length=200)]

    @model_validator(mode="after")
    def _has_words(self) -> QueryCondition:
        if not words(self.text):
            raise ValueError("text must hold at least one word (letters or digits)")
        return self


class Scope(BaseModel):
    """Where a rule applies: its surfaces, and optionally only to requests that search for
    ``query``, browse or filter one of ``category`` (product type or group) or ``department``
    (index group), or ask for items similar to one of ``source_article``. Conditions given
    together must all hold."""

    model_config = ConfigDict(extra="forbid")
    surfaces: list[Surface] = Field(min_length=1, max_length=len(SURFACES))
    query: QueryCondition | None = None
    category: list[Value] = Field(default_factory=list, max_length=20)
    department: list[Value] = Field(default_factory=list, max_length=20)
    source_article: list[ArticleId] = Field(default_factory=list, max_length=100)


class Attributes(BaseModel):
    """The articles an action targets: every field given must hold (values within a field
    are alternatives). Prices in shop currency; ``new_since``: first on sale on or after that
    day. ``article_ids`` stands alone (not with other fields)."""

    model_config = ConfigDict(extra="forbid")
    product_type_name: list[Value] = Field(default_factory=list, max_length=50)
    product_group_name: list[Value] = Field(default_factory=list, max_length=50)
    colour_group_name: list[Value] = Field(default_factory=list, max_length=50)
    department_name: list[Value] = Field(default_factory=list, max_length=50)
    index_group_name: list[Value] = Field(default_factory=list, max_length=50)
    section_name: list[Value] = Field(default_factory=list, max_length=50)
    min_price: float | None = Field(None, ge=0, le=1_000_000)
    max_price: float | None = Field(None, ge=0, le=1_000_000)
    new_since: date | None = None
    article_ids: list[ArticleId] = Field(default_factory=list, max_length=500)

    @field_validator("max_price")
    @classmethod
    def _above_min(cls, v: float | None, info: ValidationInfo) -> float | None:
        lo = info.data.get("min_price")
        if v is not None and lo is not None and lo > v:
            raise ValueError(f"{v} is below min_price {lo}")
        return v

    @field_validator("article_ids")
    @classmethod
    def _alone(cls, v: list[str], info: ValidationInfo) -> list[str]:
        others = [k for k, x in info.data.items() if x not in (None, [])]
        if v and others:
            raise ValueError(f"give ids or attributes, not both (also given: {', '.join(others)})")
        return v

    @model_validator(mode="after")
    def _something(self) -> Attributes:
        if not any(v not in (None, []) for v in self.model_dump().values()):
            raise ValueError("name at least one attribute (or article_ids)")
        return self


class Pin(BaseModel):
    model_config = ConfigDict(extra="forbid")
    article_id: ArticleId
    position: int = Field(ge=1, le=MAX_POSITION, description="1-based")


class PinAction(BaseModel):
    """Put each article at its position (1-based) of the list."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["pin"]
    pins: list[Pin] = Field(min_length=1, max_length=20)


class BoostAction(BaseModel):
    """Add ``strength`` to the score of every matching article before the list is ordered
    (``bury``: the same with a negative strength)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["boost", "bury"]
    match: Attributes
    strength: float = Field(ge=-1, le=1)

    @field_validator("strength")
    @classmethod
    def _sign(cls, v: float, info: ValidationInfo) -> float:
        if v == 0:
            raise ValueError("0 changes nothing: use one in [-1, 0) or (0, 1]")
        if info.data.get("type") == "bury" and v > 0:
            raise ValueError("a bury's strength is negative (in [-1, 0))")
        return v


class HideAction(BaseModel):
    """Leave the matching articles out of the surface."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["hide"]
    match: Attributes


class FilterAction(BaseModel):
    """Keep only the matching articles on the surface."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["filter"]
    match: Attributes


Action = Annotated[PinAction | BoostAction | HideAction | FilterAction, Field(discriminator="type")]


class RuleIn(BaseModel):
    """A rule as a merchandiser writes it."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    enabled: bool = True
    starts_at: AwareDatetime | None = Field(None, description="inert before (UTC)")
    ends_at: AwareDatetime | None = Field(None, description="inert from (UTC)")
    priority: int = Field(0, ge=-1000, le=1000, description="higher first among its kind")
    scope: Scope
    action: Action

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, v: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("starts_at")
        if v is not None and start is not None and v <= start:
            raise ValueError(f"{v.isoformat()} is not after starts_at {start.isoformat()}")
        return v

    def label(self) -> str:
        """What it does, in one word: pin, boost, bury, hide or filter."""
        a = self.action
        if isinstance(a, BoostAction):
            return "boost" if a.strength > 0 else "bury"
        return a.type


class Rule(RuleIn):
    """A stored rule."""

    id: int
    status: Status = Field(description="now: active, scheduled, expired or disabled")
    created_at: datetime
    updated_at: datetime
    created_by: str | None = None
    updated_by: str | None = None


class RuleList(BaseModel):
    rules: list[Rule]


def status_of(rule: RuleIn, now: datetime) -> Status:
    if not rule.enabled:
        return "disabled"
    if rule.starts_at is not None and now < rule.starts_at:
        return "scheduled"
    if rule.ends_at is not None and now >= rule.ends_at:
        return "expired"
    return "active"


_WORD = re.compile(r"[^\W_]+")


def words(s: str) -> tuple[str, ...]:
    """Lower-cased words (runs of letters and digits) of ``s``."""
    return tuple(_WORD.findall(s.lower()))


class RuleStore(Documents[RuleIn, Rule]):
    """The rules of the shop: every write is committed durably before the API answers and
    bumps the shared version, so every process (on every host) reloads them
    (`core.documents`)."""

    def __init__(self, target: Settings | Path | str) -> None:
        super().__init__(target, "rules", "rule", RuleIn, _rule)


def _rule(given: RuleIn, stored: dict[str, Any]) -> Rule:
    return Rule(**given.model_dump(), status=status_of(given, datetime.now(UTC)), **stored)
