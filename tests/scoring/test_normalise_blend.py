import math

import numpy as np
import pytest

from scoring.blend import Weights, blend, effective_weights
from scoring.diversity import collapse_variants, exclude, rank
from scoring.normalise import FLOOR_SIGMAS, cosine, floor_of, from_floor, minmax


def test_minmax_maps_to_unit_interval_and_keeps_nan() -> None:
    out = minmax([2.0, 4.0, np.nan, 3.0])
    assert out[0] == 0.0 and out[1] == 1.0 and out[3] == 0.5
    assert math.isnan(out[2])


def test_minmax_constant_signal_is_all_ones() -> None:
    assert minmax([0.3, 0.3, 0.3]).tolist() == [1.0, 1.0, 1.0]


def test_minmax_all_absent() -> None:
    assert np.isnan(minmax([np.nan, np.nan])).all()


def test_minmax_rejects_2d() -> None:
    with pytest.raises(ValueError, match="1-d"):
        minmax([[1.0, 2.0]])


def test_from_floor_maps_floor_to_zero_and_best_to_one() -> None:
    out = from_floor([0.2, 0.6, np.nan, 0.4, -0.5], floor=0.2)
    assert out[0] == 0.0 and out[1] == 1.0 and out[3] == pytest.approx(0.5)
    assert math.isnan(out[2])
    assert out[4] == 0.0  # below the floor: clipped, not negative


def test_from_floor_does_not_depend_on_the_other_candidates() -> None:
    # The same items keep their parts when worse candidates join the pool (min-max would
    # rescale every part): what lets a deeper page or a bigger pool agree with a smaller one.
    small = from_floor([0.9, 0.7, 0.5], floor=0.1)
    big = from_floor([0.9, 0.7, 0.5, 0.3, 0.15, 0.05], floor=0.1)
    assert big[:3].tolist() == pytest.approx(small.tolist())
    assert minmax([0.9, 0.7, 0.5])[2] != pytest.approx(minmax([0.9, 0.7, 0.5, 0.3])[2])


def test_from_floor_signal_no_better_than_the_floor_is_all_zero() -> None:
    assert from_floor([0.1, 0.05], floor=0.1).tolist() == [0.0, 0.0]
    assert np.isnan(from_floor([np.nan], floor=0.0)).all()
    with pytest.raises(ValueError, match="1-d"):
        from_floor([[1.0]], floor=0.0)


def test_floor_sits_the_configured_deviations_below_the_mean() -> None:
    assert floor_of(0.5, 0.1) == pytest.approx(0.5 - FLOOR_SIGMAS * 0.1)


def test_cosine_known_values() -> None:
    m = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0], [0.0, 0.0]])
    out = cosine(m, np.array([1.0, 0.0]))
    assert out[0] == pytest.approx(1.0)
    assert out[1] == pytest.approx(0.0)
    assert out[2] == pytest.approx(1 / math.sqrt(2))
    assert math.isnan(out[3])
    with pytest.raises(ValueError, match="shape mismatch"):
        cosine(m, np.array([1.0, 0.0, 0.0]))


def test_effective_weights_spread_absent_signal() -> None:
    eff = effective_weights(Weights(0.5, 0.3, 0.2), {"text", "image"})
    assert eff["cf"] is None
    assert eff["text"] == pytest.approx(0.6)
    assert eff["image"] == pytest.approx(0.4)
    with pytest.raises(ValueError):
        effective_weights(Weights(0.0, 0.3, 0.0), {"cf", "image"})


def test_blend_is_weighted_sum_of_parts() -> None:
    parts = {
        "cf": np.array([1.0, 0.0, 0.5]),
        "text": np.array([0.0, 1.0, 0.5]),
        "image": np.array([0.0, 1.0, np.nan]),
    }
    scores, eff = blend(parts, Weights(0.5, 0.3, 0.2))
    assert eff == {"cf": 0.5, "text": 0.3, "image": 0.2}
    assert scores[0] == pytest.approx(0.5)
    assert scores[1] == pytest.approx(0.5)
    # Item 2 has no image: scored over cf and text only (0.5·0.5 + 0.3·0.5) / 0.8.
    assert scores[2] == pytest.approx(0.5)


def test_blend_weights_decide_the_winner() -> None:
    parts = {"cf": np.array([1.0, 0.0]), "text": np.array([0.0, 1.0])}
    cf_heavy, _ = blend(parts, Weights(0.7, 0.3, 0.0))
    text_heavy, _ = blend(parts, Weights(0.3, 0.7, 0.0))
    assert rank(cf_heavy)[0] == 0
    assert rank(text_heavy)[0] == 1


def test_blend_rejects_ragged_parts() -> None:
    with pytest.raises(ValueError, match="different lengths"):
        blend({"cf": np.zeros(2), "text": np.zeros(3)}, Weights())


def test_rank_breaks_ties_by_key() -> None:
    assert rank([0.5, 0.9, 0.5], tie_keys=["b", "z", "a"]) == [1, 2, 0]


def test_collapse_keeps_best_variant_per_product() -> None:
    codes = ["p1", "p1", "p2", "p3", "p2"]
    assert collapse_variants([1, 0, 4, 2, 3], codes) == [1, 4, 3]


def test_exclude_drops_bought() -> None:
    ids = ["a", "b", "c"]
    assert exclude([2, 1, 0], ids, {"b"}) == [2, 0]
