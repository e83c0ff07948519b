import pytest

from scoring.metrics import average_precision, coverage, mean_average_precision, recall_at_k


def test_ap_perfect_and_empty_prediction() -> None:
    assert average_precision(["a", "b"], ["a", "b", "x"]) == 1.0
    assert average_precision(["a"], []) == 0.0


def test_ap_hand_computed() -> None:
    # hits at ranks 2 and 4: (1/2 + 2/4) / min(3, 12)
    assert average_precision(["a", "b", "c"], ["x", "a", "y", "b"]) == pytest.approx(1.0 / 3)


def test_ap_duplicate_predictions_count_once() -> None:
    # "a" twice: the second one is not a new hit. (1/1) / 2
    assert average_precision(["a", "b"], ["a", "a"]) == pytest.approx(0.5)


def test_ap_duplicates_in_actual_are_one_article() -> None:
    assert average_precision(["a", "a", "a"], ["a"]) == 1.0


def test_ap_more_than_k_actual_uses_k_in_denominator() -> None:
    actual = [f"i{n}" for n in range(20)]
    predicted = [f"i{n}" for n in range(12)]
    assert average_precision(actual, predicted) == 1.0
    assert average_precision(actual, ["z"] * 11 + ["i0"]) == pytest.approx((1 / 12) / 12)


def test_ap_only_first_k_count() -> None:
    assert average_precision(["a"], ["x"] * 12 + ["a"]) == 0.0


def test_ap_rejects_empty_actual() -> None:
    with pytest.raises(ValueError):
        average_precision([], ["a"])


def test_map_and_recall_and_coverage() -> None:
    actual = [["a"], ["b", "c"]]
    predicted = [["a"], ["c", "x"]]
    assert mean_average_precision(actual, predicted) == pytest.approx((1.0 + 0.5) / 2)
    assert recall_at_k(["b", "c"], ["c", "x"]) == 0.5
    assert coverage(predicted, 10) == pytest.approx(0.3)
    with pytest.raises(ValueError):
        mean_average_precision(actual, predicted[:1])
