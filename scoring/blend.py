"""The blend ``final = w_cf·cf + w_text·text + w_image·image`` over normalised parts.

Absent signals: a signal the request does not have at all (no customer for cf in a search, no
CLIP for text→image) has its weight spread over the present ones in proportion to their
weights (``effective_weights``). An item that lacks one vector (an article without an image)
is scored the same way over the parts it has, so it is neither rewarded nor punished for the gap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from scoring.normalise import FloatArray

SIGNALS = ("cf", "text", "image")


@dataclass(frozen=True)
class Weights:
    cf: float = 0.5
    text: float = 0.3
    image: float = 0.2

    def as_dict(self) -> dict[str, float]:
        return {"cf": self.cf, "text": self.text, "image": self.image}


def effective_weights(weights: Weights, present: set[str]) -> dict[str, float | None]:
    """Weights renormalised over the present signals (sum 1); absent ones are None.

    Raises ValueError if no present signal has a positive weight.
    """
    w = weights.as_dict()
    total = sum(w[s] for s in SIGNALS if s in present)
    if total <= 0:
        raise ValueError(f"no positive weight among present signals {sorted(present)}")
    return {s: (w[s] / total if s in present else None) for s in SIGNALS}


def blend(
    parts: Mapping[str, FloatArray], weights: Weights
) -> tuple[FloatArray, dict[str, float | None]]:
    """Blend normalised parts into final scores.

    Parameters
    ----------
    parts : mapping signal -> array (n,)
        Normalised scores in [0, 1], NaN where an item lacks that signal. Signals missing from
        the mapping are absent for the whole request.
    weights : the configured weights.

    Returns
    -------
    (scores (n,), effective request-level weights)
    """
    present = {s for s in SIGNALS if s in parts}
    eff = effective_weights(weights, present)
    sizes = {len(parts[s]) for s in present}
    if len(sizes) != 1:
        raise ValueError(f"parts have different lengths: { {s: len(parts[s]) for s in present} }")
    n = sizes.pop()
    num = np.zeros(n)
    den = np.zeros(n)
    for s in present:
        w = eff[s] or 0.0
        values = np.asarray(parts[s], dtype=np.float64)
        has = ~np.isnan(values)
        num[has] += w * values[has]
        den[has] += w
    with np.errstate(invalid="ignore", divide="ignore"):
        scores: FloatArray = np.where(den > 0, num / den, 0.0)
    return scores, eff
