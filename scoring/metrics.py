"""Offline metrics, as the H&M Personalized Fashion Recommendations competition defined them.

``MAP@12``: for each customer who bought in the held-out week,

    AP@k = (1 / min(|actual|, k)) · Σ_{i=1..k} P(i) · rel(i)

where P(i) is the precision of the first i predictions and rel(i) is 1 when the i-th prediction
is a purchased article not already predicted earlier in the list. The actual list is taken as a
set (buying two units of one article is one relevant article). An empty actual list is not
scored (the customer is not eligible); an empty prediction scores 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def average_precision(actual: Iterable[str], predicted: Sequence[str], k: int = 12) -> float:
    """AP@k of one customer's predictions against what they bought."""
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    truth = set(actual)
    if not truth:
        raise ValueError("actual is empty: the customer bought nothing in the held-out window")
    hits = 0
    total = 0.0
    seen: set[str] = set()
    for i, p in enumerate(predicted[:k], start=1):
        if p in truth and p not in seen:
            hits += 1
            total += hits / i
        seen.add(p)
    return total / min(len(truth), k)


def mean_average_precision(
    actual: Sequence[Iterable[str]], predicted: Sequence[Sequence[str]], k: int = 12
) -> float:
    """MAP@k over customers (lists aligned by position)."""
    if len(actual) != len(predicted):
        raise ValueError(f"{len(actual)} actual lists vs {len(predicted)} predicted lists")
    if not actual:
        raise ValueError("no customers to score")
    return sum(average_precision(a, p, k) for a, p in zip(actual, predicted, strict=True)) / len(
        actual
    )


def recall_at_k(actual: Iterable[str], predicted: Sequence[str], k: int = 12) -> float:
    """Share of the distinct purchased articles found in the first k predictions."""
    truth = set(actual)
    if not truth:
        raise ValueError("actual is empty")
    return len(truth & set(predicted[:k])) / len(truth)


def coverage(predicted: Iterable[Sequence[str]], catalog_size: int) -> float:
    """Share of the catalog that appears in at least one prediction list."""
    if catalog_size <= 0:
        raise ValueError("catalog_size must be positive")
    items: set[str] = set()
    for p in predicted:
        items.update(p)
    return len(items) / catalog_size
