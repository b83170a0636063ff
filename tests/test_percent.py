"""One percent-change rule in every result file and in ``tradesim compare``."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.percent import percent_change, percent_change_of
from sim.run import run_scenario
from tests.conftest import SCENARIOS

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)


@given(finite, finite)
def test_the_sign_of_a_percent_change_is_the_sign_of_the_change(value: float, ref: float) -> None:
    pct = percent_change_of(value, ref)
    if ref == 0:
        assert math.isnan(pct)
    else:
        assert np.sign(pct) == np.sign(value - ref)
        assert np.isclose(pct, percent_change(np.array([value]), np.array([ref]))[0])


def test_a_negative_reference_that_falls_further_is_a_negative_change() -> None:
    assert percent_change_of(-120.0, -100.0) == -20.0
    assert math.isnan(percent_change_of(5.0, 0.0))
    assert math.isnan(percent_change_of(math.inf, 1.0))


def test_every_result_row_follows_the_rule() -> None:
    run = run_scenario(SCENARIOS / "seafood-ban-lifted.yaml")
    for name in ("summary.csv", "indicators.csv", "flows.csv"):
        table = run.tables[name]
        columns = {c: [row[k] for row in table.rows] for k, c in enumerate(table.columns)}
        value = np.array(columns["value"], dtype=float)
        base = np.array(columns["baseline_value"], dtype=float)
        pct = np.array(columns["change_pct"], dtype=float)
        expected = percent_change(value, base)
        if "unit" in columns:  # a share in % changes by points: no percent of a percent
            points = np.array(["%" in str(unit) for unit in columns["unit"]])
            expected[points] = np.nan
        np.testing.assert_allclose(pct, expected, rtol=1e-12, equal_nan=True, err_msg=name)


SPECIAL = [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-320, 1e308, -1e308, 1.0, -2.5, 3e-7]


def test_arrays_follow_the_rule_of_one_number_bit_for_bit() -> None:
    pairs = [(v, r) for v in SPECIAL for r in SPECIAL]
    value = np.array([v for v, _ in pairs]).reshape(len(SPECIAL), -1)
    ref = np.array([r for _, r in pairs]).reshape(len(SPECIAL), -1)
    expected = np.array([percent_change_of(v, r) for v, r in pairs]).reshape(value.shape)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, 1e308 - -1e308
        results = [percent_change(value, ref), percent_change(value, ref, value - ref)]
    for pct in results:
        assert np.array_equal(np.isnan(pct), np.isnan(expected))
        finite = ~np.isnan(expected)
        assert pct[finite].tobytes() == expected[finite].tobytes()
