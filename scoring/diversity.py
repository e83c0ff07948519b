"""Post-ranking rules: colour-variant collapse and exclusion of what was already bought."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import numpy.typing as npt


def rank(scores: npt.ArrayLike, tie_keys: Sequence[Hashable] | None = None) -> list[int]:
    """Indices ordered by score descending; ties broken by ``tie_keys`` ascending (stable)."""
    s = np.asarray(scores, dtype=np.float64)
    keys = list(range(len(s))) if tie_keys is None else list(tie_keys)
    if len(keys) != len(s):
        raise ValueError(f"{len(keys)} tie keys for {len(s)} scores")
    return sorted(range(len(s)), key=lambda i: (-s[i], keys[i]))


def collapse_variants(order: Sequence[int], product_codes: Sequence[str]) -> list[int]:
    """Keep only the first (best-ranked) article of each product_code, order preserved."""
    seen: set[str] = set()
    kept: list[int] = []
    for i in order:
        code = product_codes[i]
        if code not in seen:
            seen.add(code)
            kept.append(i)
    return kept


def exclude(order: Sequence[int], keys: Sequence[str], banned: set[str]) -> list[int]:
    """Drop the items whose key (article_id) is in ``banned``."""
    return [i for i in order if keys[i] not in banned]
