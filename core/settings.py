"""One settings object for every part of Lookbook, read from the environment and `.env`.

Every variable has the prefix ``LOOKBOOK_``; nested groups use ``__`` as the delimiter
(``LOOKBOOK_RANKING__W_CF=0.6``). ``get_settings()`` is cached so tests can override it
with ``get_settings.cache_clear()`` after changing the environment.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class RankingSettings(BaseModel):
    """Weights of the blend ``final = w_cf·cf + w_text·text + w_image·image``."""

    w_cf: float = Field(0.5, ge=0.0)
    w_text: float = Field(0.3, ge=0.0)
    w_image: float = Field(0.2, ge=0.0)
    candidates: int = Field(100, ge=12, le=2000, description="candidates per prefetch")
    ranker: Literal["blend", "learned"] = Field(
        "blend", description="blend: the fixed weights; learned: the version's trained model"
    )
    rebuy_threshold: float = Field(
        0.5,
        ge=0.0,
        le=1.01,
        description="the feed keeps a bought article whose buy-again score reaches this "
        "(1.01: leave out everything bought)",
    )

    @model_validator(mode="after")
    def _some_weight(self) -> RankingSettings:
        if self.w_cf + self.w_text + self.w_image <= 0:
            raise ValueError("at least one ranking weight must be positive")
        return self


class ModelSettings(BaseModel):
    """Which encoders the indexer uses and how the CF model is trained."""

    text_model: str = "all-MiniLM-L6-v2"
    text_precision: Literal["auto", "float32", "bfloat16"] = Field(
        "auto", description="auto: bfloat16 where the CPU has native bfloat16, else float32"
    )
    image_encoder: Literal["catalog-cnn", "open_clip"] = "catalog-cnn"
    clip_model: str = "ViT-B-32"
    clip_pretrained: str = Field(
        "", description="open_clip pretrained tag or a local checkpoint file"
    )
    als_factors: int = Field(64, ge=2, le=512)
    als_iterations: int = Field(15, ge=1, le=200)
    als_regularization: float = Field(0.05, ge=0.0)
    decay_half_life_days: float = Field(60.0, gt=0.0)
    ranker_customers: int = Field(
        5000, ge=0, le=200_000, description="customers the learned ranker is trained on (0: none)"
    )
    ranker_objective: Literal["lambdarank", "binary"] = "lambdarank"
    cnn_epochs: int = Field(4, ge=1, le=100)
    cnn_image_size: int = Field(64, ge=16, le=256)
    batch_size: int = Field(256, ge=1)


class QdrantSettings(BaseModel):
    """Server engine options (used only when ``LOOKBOOK_QDRANT_URL`` is set)."""

    shard_number: int = Field(1, ge=1)
    replication_factor: int = Field(1, ge=1)
    write_consistency_factor: int = Field(1, ge=1)
    timeout_s: float = Field(5.0, gt=0)
    retries: int = Field(2, ge=0, le=10)


class ShopSettings(BaseModel):
    """How scaled data prices are shown: shop price = data price × multiplier."""

    price_multiplier: float = Field(1000.0, gt=0)
    currency: str = Field("EUR", min_length=3, max_length=3)


DEMO_SECRET = "dev-only-change-me-lookbook-demo-secret"


class AuthSettings(BaseModel):
    """How shoppers sign in. ``demo``: `POST /session` as a sample customer, tokens signed with
    ``LOOKBOOK_SECRET_KEY``. ``oidc``: the shop's identity provider signs the tokens (RS256 or
    ES256), checked against its JWKS; Lookbook stores no passwords."""

    mode: Literal["demo", "oidc"] = "oidc"
    oidc_issuer: str = Field("", description="the `iss` every token must carry")
    oidc_audience: str = Field("", description="the `aud` every token must carry")
    oidc_jwks: str = Field("", description="the provider's JWKS: a file path or an https URL")
    oidc_customer_claim: str = Field("sub", description="the claim that holds the customer id")
    leeway_s: int = Field(30, ge=0, le=300, description="clock skew allowed on exp and nbf")


class RateLimitSettings(BaseModel):
    """Per-client limits (API key, else the signed-in customer, else IP) in the `limits`
    notation, shared by every API process of the machine. ``service`` replaces any group's
    limit for a service key."""

    search: str = "60/minute"
    photo_search: str = "20/minute"
    session: str = "10/minute"
    write: str = "60/minute"
    events: str = "600/minute"
    service: str = "6000/minute"

    @field_validator("*")
    @classmethod
    def _parses(cls, value: str, info: ValidationInfo) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError(
                f"LOOKBOOK_RATE_LIMIT__{str(info.field_name).upper()}={value!r} is not a rate "
                "like 60/minute or 1000/hour"
            ) from None
        return value


class LiveSettings(BaseModel):
    """How logged events change a customer's feed before the next build (DESIGN §9)."""

    view_weight: float = Field(
        0.25, ge=0.0, le=1.0, description="a view's weight in the text and image tastes"
    )
    cart_weight: float = Field(
        0.5, ge=0.0, le=1.0, description="an add-to-cart's weight in the tastes"
    )
    views_kept: int = Field(
        50, ge=0, le=500, description="newest views and add-to-carts the tastes read"
    )
    colourway_boost: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="other colours of a product the customer bought: up by this for a customer "
        "who has bought two colours of one product, else down (off by default: on the demo "
        "world's test week every non-zero step lowered MAP@12, see docs/live.md)",
    )
    reindex_after: int = Field(
        5000,
        ge=0,
        description="catalog changes written to a process's Edge copy before it makes a fresh, "
        "indexed copy in the background (changed points are scanned by every search until "
        "then; 0: never)",
    )
    reindex_every_s: float = Field(
        300.0,
        ge=0,
        description="at least this long between two re-indexes of a process: a copy and its "
        "indexing take a core for tens of seconds (run at the lowest priority)",
    )
    views_retention_days: int = Field(
        90,
        ge=0,
        description="views and add-to-carts older than this are deleted from the event log "
        "(checked hourly by every API process; purchases are kept: builds fold them in); "
        "0: kept for good",
    )
    impressions_retention_days: int = Field(
        30,
        ge=0,
        description="impressions (the lists served, for attribution and insights) older than "
        "this are deleted (checked hourly by every API process); 0: kept for good; the "
        "insights' daily roll-up outlives them",
    )
    insights_refresh_s: float = Field(
        60.0,
        gt=0,
        description="how often the insights' daily roll-up is brought up to date (one API "
        "process does it at a time; a dashboard may also ask for it now)",
    )
    reindex_timeout_s: float = Field(
        1800.0,
        gt=0,
        description="a re-index process still running after this long is killed and the "
        "re-index tried again after reindex_every_s (the H&M-size shard with 20,000 changed "
        "articles took 85 s)",
    )


class Settings(BaseSettings):
    """Lookbook configuration. See the table in README.md."""

    model_config = SettingsConfigDict(
        env_prefix="LOOKBOOK_",
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Path("data/demo")
    index_dir: Path = Path("var/index")
    cache_dir: Path | None = Field(
        None, description="reusable text and image vectors; default <index_dir>/cache"
    )
    db_path: Path = Path("var/lookbook.db")
    database_url: str = Field(
        "",
        description="postgresql://user:pass@host:5432/lookbook: the state every host shares "
        "(unset: the SQLite files beside db_path)",
    )
    qdrant_url: str = ""
    qdrant_api_key: str = ""
    secret_key: str = Field(DEMO_SECRET, min_length=32)
    token_ttl_s: int = Field(3600, ge=60)
    cors_origins: list[str] = ["http://localhost:3000", "http://127.0.0.1:3000"]
    request_timeout_s: float = Field(30.0, gt=0, description="a slower request answers 504")
    keep_alive_s: int = Field(
        75,
        ge=1,
        description="an idle keep-alive connection is closed after this: longer than any "
        "client's or proxy's own idle limit, so none sends on a connection being closed",
    )
    workers: int = Field(default_factory=lambda: _cores(), ge=1, le=256, description="processes")
    private_index: bool = Field(
        False, description="each process opens its own copy of the Edge version (serve sets it)"
    )
    seed: int = 42
    audit_retention_days: int = Field(
        365,
        ge=0,
        description="audit entries older than this are deleted (checked hourly); 0: kept for good",
    )

    ranking: RankingSettings = RankingSettings()
    models: ModelSettings = ModelSettings()
    qdrant: QdrantSettings = QdrantSettings()
    shop: ShopSettings = ShopSettings()
    auth: AuthSettings = AuthSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    live: LiveSettings = LiveSettings()

    @property
    def vector_cache_dir(self) -> Path:
        """Where builds keep text and image vectors for the next build to reuse."""
        return self.cache_dir if self.cache_dir is not None else self.index_dir / "cache"

    @model_validator(mode="after")
    def _check_combinations(self) -> Settings:
        if self.database_url and not self.database_url.startswith(
            ("postgresql://", "postgres://", "postgresql+psycopg://")
        ):
            raise ValueError(
                "LOOKBOOK_DATABASE_URL must be a postgresql:// URL "
                "(postgresql://user:pass@host:5432/lookbook); unset it for the SQLite files"
            )
        if self.qdrant_api_key and not self.qdrant_url:
            raise ValueError(
                "LOOKBOOK_QDRANT_API_KEY is set but LOOKBOOK_QDRANT_URL is empty: "
                "set the server URL, or unset the key to use the embedded engine"
            )
        if self.models.image_encoder == "open_clip" and not self.models.clip_pretrained:
            raise ValueError(
                "LOOKBOOK_MODELS__IMAGE_ENCODER=open_clip needs LOOKBOOK_MODELS__CLIP_PRETRAINED "
                "(a pretrained tag or a local checkpoint file)"
            )
        return self

    def check_api(self) -> None:
        """What the API refuses to start with; the message says what to set."""
        a = self.auth
        if a.mode == "demo":
            return
        if self.secret_key == DEMO_SECRET:
            raise ValueError(
                "LOOKBOOK_SECRET_KEY is the public demo default, which is accepted only with "
                "LOOKBOOK_AUTH__MODE=demo: set a secret of at least 32 random characters "
                '(python3 -c "import secrets; print(secrets.token_urlsafe(32))")'
            )
        missing = [
            f"LOOKBOOK_AUTH__{name.upper()}"
            for name in ("oidc_issuer", "oidc_audience", "oidc_jwks")
            if not getattr(a, name)
        ]
        if missing:
            raise ValueError(
                f"LOOKBOOK_AUTH__MODE=oidc needs {', '.join(missing)}: the identity provider's "
                "issuer, this API's audience and the provider's JWKS (a file or an https URL); "
                "or set LOOKBOOK_AUTH__MODE=demo for a demo with sample customers"
            )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
