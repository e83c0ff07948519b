"""Putting the three signals on one scale before they are blended.

The rule: **min–max over the request's candidate pool**, per signal.

    norm(s_i) = (s_i - min(s)) / (max(s) - min(s))      over the candidates of this request
    norm(s_i) = 1.0                                     when max(s) - min(s) < EPS

Why: the raw signals live on different scales. ALS predicted preferences (user·item) sit around
0.0–0.3, MiniLM cosines between garments around 0.2–0.9, catalog-CNN cosines around 0.5–1.0.
Blending raw values would let whichever signal has the widest natural spread decide the order
whatever the weights say. Scaling each over exactly the items being compared makes a weight
of 0.5 mean "half of the ordering power". A signal that does not separate the candidates at all
(zero spread) adds the same constant to every item and so changes no order.

A NaN (the item lacks that vector, e.g. no image) stays NaN: the blend treats it as absent for
that item.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

EPS = 1e-9

FloatArray = npt.NDArray[np.float64]


def minmax(scores: npt.ArrayLike) -> FloatArray:
    """Min–max scale a 1-d array of raw scores to [0, 1], NaN kept as NaN.

    Parameters
    ----------
    scores : array-like, shape (n,)
        Raw scores of one signal for n candidates; NaN where the signal is absent.

    Returns
    -------
    ndarray of float64, shape (n,)
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 1:
        raise ValueError(f"scores must be 1-d, got shape {s.shape}")
    out = np.full(s.shape, np.nan)
    present = ~np.isnan(s)
    if not present.any():
        return out
    lo, hi = float(s[present].min()), float(s[present].max())
    if hi - lo < EPS:
        out[present] = 1.0
    else:
        out[present] = (s[present] - lo) / (hi - lo)
    return out


def cosine(matrix: npt.ArrayLike, query: npt.ArrayLike) -> FloatArray:
    """Cosine similarity of each row of ``matrix`` (n, d) with ``query`` (d,); NaN rows stay NaN."""
    m = np.asarray(matrix, dtype=np.float64)
    q = np.asarray(query, dtype=np.float64)
    if m.ndim != 2 or q.ndim != 1 or m.shape[1] != q.shape[0]:
        raise ValueError(f"shape mismatch: matrix {m.shape} vs query {q.shape}")
    qn = np.linalg.norm(q)
    norms = np.linalg.norm(m, axis=1) * qn
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = (m @ q) / norms
    out[~np.isfinite(out)] = np.nan
    return out
