"""The change columns of a quarter's flow rows skip the sectors at rest, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from sim.indicators import trade_values
from sim.tables import _pct_change, _sector_changes


def _bits(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array).tobytes()


@pytest.mark.parametrize("seed", range(5))
def test_sector_changes_are_the_elementwise_changes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    value = rng.lognormal(size=(7, 40))
    value[:, ::9] = 0.0
    value[1, 3] = -0.0
    value[5, 4] = np.inf
    base = value.copy()
    base[2] *= 1.01  # a sector that moved
    base[3, 7] = 0.0  # one cell that moved to zero
    base[4, 0] = -0.0  # the same number as 0.0, not the same bits
    base[6, 2] = np.nan
    with np.errstate(invalid="ignore"):  # inf - inf, as in the rows it stands for
        change, pct = _sector_changes(value, base)
        expected = _pct_change(value, base)
    assert _bits(change) == _bits(expected[0])
    same = ~np.isnan(expected[1])
    assert np.array_equal(np.isnan(pct), ~same)
    assert _bits(pct[same]) == _bits(expected[1][same])


def test_identical_runs_have_zero_change_and_no_percent_of_zero() -> None:
    value = np.array([[2.0, 0.0, 1.0], [0.0, 0.0, 4.0]])
    change, pct = _sector_changes(value, value.copy())
    assert _bits(change) == _bits(np.zeros_like(value))
    assert np.array_equal(np.isnan(pct), value == 0)
    assert (pct[value != 0] == 0.0).all()


def test_trade_values_in_working_memory_are_those_of_a_copy() -> None:
    rng = np.random.default_rng(3)
    value = rng.lognormal(size=(2, 3, 5, 5))
    value[0, 1, 2, 2] = np.nan
    value[1, 0, 3, 1] = -0.0
    expected = trade_values(value)
    scratch = value.copy()
    got = trade_values(scratch, overwrite=True)
    for name in expected:
        assert _bits(got[name]) == _bits(expected[name]), name
    # a view the caller still reads is never written to
    view = value[:, :, :, :]
    view.flags.writeable = False
    assert _bits(trade_values(view, overwrite=True)["exports"]) == _bits(expected["exports"])
