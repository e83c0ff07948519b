"""Folding new purchases into a customer's ALS vector without retraining.

Implicit-feedback ALS (Hu, Koren and Volinsky 2008) computes a user's factors, given the item
factors ``Y``, as the solution of one small least-squares problem::

    (YᵀY + Yᵀ(Cᵤ − I)Y + λI) xᵤ = YᵀCᵤp(u)

where ``Cᵤ`` holds the user's confidence in each item they bought (``alpha · weight``) and
``p(u)`` is 1 for those items. Only the bought items' rows enter besides the shared ``YᵀY``,
so a customer is recomputed in microseconds: implicit's ``recalculate_user`` solves the same
system.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def item_gram(item_factors: npt.ArrayLike) -> FloatArray:
    """``YᵀY`` of the item factors (float64), shared by every fold-in of a model."""
    y = np.asarray(item_factors, dtype=np.float64)
    return y.T @ y


def fold_in(
    rows: npt.ArrayLike, confidence: npt.ArrayLike, gram: FloatArray, regularization: float
) -> FloatArray:
    """The user factors that best explain purchases of the items whose factors are ``rows``.

    Parameters
    ----------
    rows : array, shape (n, k)
        Factors of each item the customer bought (each item once).
    confidence : array, shape (n,)
        The confidence in each purchase, ``alpha`` times its (decayed, summed) weight.
    gram : array, shape (k, k)
        `item_gram` of the model's item factors.
    regularization : float
        The model's λ.

    Returns
    -------
    array, shape (k,): the customer's factors (zeros when there is no purchase).
    """
    y = np.asarray(rows, dtype=np.float64)
    c = np.asarray(confidence, dtype=np.float64)
    if y.ndim != 2 or y.shape[0] != len(c) or gram.shape != (y.shape[1], y.shape[1]):
        raise ValueError(
            f"shapes do not match: rows {y.shape}, confidence {c.shape}, gram {gram.shape}"
        )
    if (c < 0).any():
        raise ValueError("confidence must not be negative")
    if not len(c):
        return np.zeros(gram.shape[0])
    a = gram + regularization * np.eye(len(gram)) + (y.T * (c - 1.0)) @ y
    b = c @ y
    x: FloatArray = np.linalg.solve(a, b).astype(np.float64)
    return x
