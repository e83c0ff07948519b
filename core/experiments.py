"""Experiments (DESIGN §10): A/B tests of ranking variants on the shop's own traffic.

An experiment covers some surfaces from a start to an end and splits their visitors between
2-4 variants by traffic share; the first variant is the control. Each variant is a settings
overlay from a whitelist (`Overlay`): anything else is refused, naming the field.

Assignment is stateless and sticky: a visitor's variant is a hash of (experiment, customer id
or anonymous visitor id) placed on the cumulative shares, so every process on every host gives
a visitor the same variant for the experiment's whole life, with nothing stored per visitor.
Two experiments may not cover one surface at overlapping times (a visitor would be in two at
once). Stored as documents (`core.documents`): every process applies a change within
`core.documents.POLL_S`.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
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
from sqlalchemy import Connection

from core.documents import Documents
from core.errors import InvalidInput
from core.rules import Surface

if TYPE_CHECKING:
    from core.settings import Settings

Status = Literal["scheduled", "running", "ended", "stopped"]
#: How a variant's share may miss 1 in sum (floats as people write them: 0.33, 0.33, 0.34).
SHARE_TOLERANCE = 1e-6


class BlendWeights(BaseModel):
    """The blend's weights ``cf·w_cf + text·w_text + image·w_image``."""

    model_config = ConfigDict(extra="forbid")
    cf: float = Field(ge=0.0, le=10.0)
    text: float = Field(ge=0.0, le=10.0)
    image: float = Field(ge=0.0, le=10.0)

    @model_validator(mode="after")
    def _some_weight(self) -> BlendWeights:
        if self.cf + self.text + self.image <= 0:
            raise ValueError("at least one weight must be positive")
        return self


class Overlay(BaseModel):
    """What a variant changes, from a whitelist; what it leaves out is the shop's setting."""

    model_config = ConfigDict(extra="forbid")
    weights: BlendWeights | None = Field(None, description="the blend's weights")
    candidates: int | None = Field(None, ge=12, le=2000, description="candidates per prefetch")
    exclude_bought: bool | None = Field(
        None, description="the feed leaves out what was bought unless the request says"
    )
    rules: bool | None = Field(None, description="the merchandising rules on or off")
    colourway_boost: float | None = Field(
        None, ge=0.0, le=1.0, description="the feed's step for other colours of a purchase"
    )
    ranker: Literal["blend", "learned"] | None = Field(
        None, description="how the candidates are ordered: the blend, or the learned ranker"
    )

    def apply(self, base: Settings) -> Settings:
        """``base`` with this overlay's settings in it (``base`` itself without any)."""
        ranking: dict[str, Any] = {}
        if self.weights is not None:
            w = self.weights
            ranking |= {"w_cf": w.cf, "w_text": w.text, "w_image": w.image}
        if self.candidates is not None:
            ranking["candidates"] = self.candidates
        if self.ranker is not None:
            ranking["ranker"] = self.ranker
        live: dict[str, Any] = {}
        if self.colourway_boost is not None:
            live["colourway_boost"] = self.colourway_boost
        if not ranking and not live:
            return base
        return base.model_copy(
            update={
                "ranking": base.ranking.model_copy(update=ranking),
                "live": base.live.model_copy(update=live),
            }
        )


class VariantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{1,16}$")] = Field(
        description="letters, digits and _; carried in every rec_id of the variant"
    )
    share: float = Field(gt=0.0, le=1.0, description="of the covered traffic")
    overlay: Overlay = Field(default_factory=Overlay)


class ExperimentIn(BaseModel):
    """An experiment as a merchandiser writes it; the first variant is the control."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    surfaces: list[Surface] = Field(min_length=1)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    variants: list[VariantIn] = Field(min_length=2, max_length=4)

    @field_validator("surfaces")
    @classmethod
    def _once(cls, v: list[Surface]) -> list[Surface]:
        if len(set(v)) != len(v):
            raise ValueError("a surface is named twice")
        return v

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, v: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("starts_at")
        if start is not None and v <= start:
            raise ValueError(f"{v.isoformat()} is not after starts_at {start.isoformat()}")
        return v

    @field_validator("variants")
    @classmethod
    def _split(cls, v: list[VariantIn]) -> list[VariantIn]:
        names = [x.name for x in v]
        if len(set(names)) != len(names):
            raise ValueError(f"variant names must differ: {names}")
        total = sum(x.share for x in v)
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise ValueError(f"the variants' shares sum to {total:g}, not 1")
        return v


class ExperimentBody(ExperimentIn):
    """What is stored: the experiment and when it was stopped early, if it was."""

    stopped_at: AwareDatetime | None = None


class Experiment(ExperimentBody):
    id: int
    status: Status = Field(description="now: scheduled, running, ended or stopped")
    created_at: datetime
    updated_at: datetime
    created_by: str | None = None
    updated_by: str | None = None


class ExperimentList(BaseModel):
    experiments: list[Experiment]


def status_of(body: ExperimentBody, now: datetime) -> Status:
    if body.stopped_at is not None:
        return "stopped"
    if now < body.starts_at:
        return "scheduled"
    return "ended" if now >= body.ends_at else "running"


def _end(body: ExperimentBody) -> datetime:
    """When it stops applying: its end, or when it was stopped."""
    return min(body.ends_at, body.stopped_at) if body.stopped_at else body.ends_at


def bucket(experiment_id: int, who: str) -> float:
    """A visitor's place in [0, 1) for an experiment: a hash, the same in every process."""
    digest = hashlib.sha256(f"lookbook experiment {experiment_id}\0{who}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def assign(experiment_id: int, who: str, variants: list[VariantIn]) -> VariantIn:
    """The variant of ``who`` (a customer id or an anonymous visitor id): the first whose
    cumulative share passes the visitor's bucket."""
    u, acc = bucket(experiment_id, who), 0.0
    for v in variants:
        acc += v.share
        if u < acc:
            return v
    return variants[-1]  # the shares' rounding


class ExperimentStore(Documents[ExperimentBody, Experiment]):
    """The shop's experiments (durable, audited by the API, seen by every process)."""

    def __init__(self, target: Settings | Path | str) -> None:
        super().__init__(target, "experiments", "experiment", ExperimentBody, _experiment)

    def start(self, body: ExperimentIn, by: str | None) -> Experiment:
        """Store a new experiment, refused (422) if it overlaps another on a surface."""
        stored = ExperimentBody(**body.model_dump())

        def no_overlap(conn: Connection) -> None:
            for other_id, other in self.bodies(conn):
                shared = [s for s in stored.surfaces if s in other.surfaces]
                if (
                    shared
                    and stored.starts_at < _end(other)
                    and other.starts_at < stored.ends_at
                    and (other.stopped_at is None or other.stopped_at > other.starts_at)
                ):
                    raise InvalidInput(
                        "surfaces",
                        f"experiment {other_id} ({other.name}) covers {', '.join(shared)} from "
                        f"{other.starts_at.isoformat()} to {_end(other).isoformat()}: two "
                        "experiments may not cover one surface at once",
                    )

        return self.create(stored, by, check=no_overlap)

    def stop(self, experiment_id: int, by: str | None, now: datetime | None = None) -> Experiment:
        """Stop it now (it keeps its results); stopping a stopped one changes nothing."""
        found = self.get(experiment_id)
        if found.stopped_at is not None:
            return found
        body = ExperimentBody(
            **found.model_dump(include=set(ExperimentIn.model_fields)),
            stopped_at=now or datetime.now(UTC),
        )
        return self.replace(experiment_id, body, by)


def _experiment(body: ExperimentBody, stored: dict[str, Any]) -> Experiment:
    return Experiment(**body.model_dump(), status=status_of(body, datetime.now(UTC)), **stored)


@dataclass(frozen=True)
class Arm:
    """The experiment and variant a request is in."""

    experiment_id: int
    variant: str
    overlay: Overlay
    control: bool

    @property
    def tag(self) -> str:
        """The rec_id's variant part: ``x<experiment>-<variant>``."""
        return f"x{self.experiment_id}-{self.variant}"


class ExperimentBook:
    """The experiments a process applies, by surface, compiled once per generation."""

    def __init__(self, experiments: list[Experiment], generation: int) -> None:
        self.generation = generation
        self._by_surface: dict[str, list[tuple[float, float, Experiment]]] = {}
        bounds: list[float] = []
        for x in experiments:
            start, end = x.starts_at.timestamp(), _end(x).timestamp()
            if end <= start:
                continue
            for s in x.surfaces:
                self._by_surface.setdefault(s, []).append((start, end, x))
            bounds += [start, end]
        self._bounds = sorted(bounds)

    def mark(self, now: datetime | None = None) -> str:
        """Part of every cached answer's key: the generation and how many starts and ends
        have passed, so no answer outlives an experiment's change, start or end."""
        t = (now or datetime.now(UTC)).timestamp()
        return f"x{self.generation}.{bisect.bisect_right(self._bounds, t)}"

    def arm(self, surface: str, who: str | None, now: datetime | None = None) -> Arm | None:
        """The variant ``who`` is in on ``surface`` now (None: no experiment covers it, or the
        request names no one to keep in a variant)."""
        found = self._by_surface.get(surface)
        if not found or not who:
            return None
        t = (now or datetime.now(UTC)).timestamp()
        for start, end, x in found:
            if start <= t < end:
                v = assign(x.id, who, x.variants)
                return Arm(x.id, v.name, v.overlay, v is x.variants[0])
        return None
