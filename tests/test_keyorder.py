"""Rows of a columnar table sorted by their key columns, as np.lexsort sorts them."""

from __future__ import annotations

import numpy as np
import pytest

from sim.csvtext import Labels
from sim.tables import _key_column, _key_order


def _labels(codes: np.ndarray, count: int) -> Labels:
    return Labels(codes.astype(np.int32), tuple(f"l{k:03d}" for k in range(count)))


@pytest.mark.parametrize("seed", range(4))
def test_one_stable_sort_orders_rows_as_lexsort_does(seed: int) -> None:
    rng = np.random.default_rng(seed)
    counts = [3, 7, 1, 5]
    # few distinct rows among many: ties keep their order
    columns = [_labels(rng.integers(0, n, size=500), n) for n in counts]
    expected = np.lexsort([c.codes for c in reversed(columns)])
    assert np.array_equal(_key_order(columns), expected)


def test_keys_too_many_for_one_integer_fall_back_to_lexsort() -> None:
    rng = np.random.default_rng(9)
    big = 2**16
    columns = [_labels(rng.integers(0, big, size=300), big) for _ in range(4)]
    expected = np.lexsort([c.codes for c in reversed(columns)])
    assert np.array_equal(_key_order(columns), expected)


def test_a_key_column_has_the_labels_of_its_codes_and_extra_rows_sorted() -> None:
    column = _key_column(["b", "a", "c", "unused"], np.array([2, 0, 0, 1]), 2, ["a", "z"])
    assert column.labels == ("a", "b", "c", "z")
    assert column.values() == ["c", "b", "b", "a", "c", "b", "b", "a", "a", "z"]
