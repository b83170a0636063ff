"""Parameter draws: reproducible per draw index, inside their support, right moments."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.uncertainty import Distribution, bands, distribution_problem, draw_values

TRIANGULAR = Distribution("triangular", (("low", 1.8), ("mode", 2.5), ("high", 4.0)))
UNIFORM = Distribution("uniform", (("low", 0.85), ("high", 0.95)))
TRUNCATED = Distribution("normal", (("mean", 0.9), ("sd", 0.1), ("low", 0.8), ("high", 1.0)))
LOGNORMAL = Distribution("lognormal", (("median", 2.0), ("sigma", 0.4)))
ALL = [TRIANGULAR, UNIFORM, TRUNCATED, LOGNORMAL]


def test_a_draw_depends_only_on_the_seed_and_its_index() -> None:
    whole = draw_values(ALL, seed=7, draws=range(100))
    pieces = np.concatenate(
        [draw_values(ALL, 7, range(0, 37)), draw_values(ALL, 7, range(37, 100))]
    )
    np.testing.assert_array_equal(whole, pieces)
    np.testing.assert_array_equal(whole[[5, 60]], draw_values(ALL, 7, [5, 60]))
    assert not np.array_equal(whole, draw_values(ALL, 8, range(100)))


def test_draw_d_uses_the_d_th_child_of_the_seed_sequence() -> None:
    children = np.random.SeedSequence(7).spawn(3)
    u = np.random.default_rng(children[2]).random(1)
    assert draw_values([UNIFORM], 7, [2])[0, 0] == pytest.approx(0.85 + 0.1 * u[0], abs=1e-15)


@pytest.mark.parametrize(
    ("distribution", "frozen"),
    [
        (TRIANGULAR, stats.triang(0.7 / 2.2, loc=1.8, scale=2.2)),
        (UNIFORM, stats.uniform(0.85, 0.1)),
        (TRUNCATED, stats.truncnorm(-1.0, 1.0, loc=0.9, scale=0.1)),
        (LOGNORMAL, stats.lognorm(0.4, scale=2.0)),
    ],
)
def test_draws_follow_their_distribution(distribution: Distribution, frozen) -> None:
    values = draw_values([distribution], seed=11, draws=range(20_000))[:, 0]
    low, high = distribution.support
    assert values.min() >= low and values.max() <= high
    # Kolmogorov-Smirnov at n = 20 000: a wrong shape or scale fails by far.
    assert stats.kstest(values, frozen.cdf).statistic < 0.015
    assert values.mean() == pytest.approx(frozen.mean(), abs=5 * frozen.std() / np.sqrt(20_000))


@pytest.mark.parametrize(
    ("dist", "params", "problem"),
    [
        ("uniform", {"low": 2.0, "high": 2.0}, "low < high"),
        ("triangular", {"low": 1.0, "mode": 5.0, "high": 4.0}, "low <= mode <= high"),
        ("normal", {"mean": 1.0, "sd": 0.0}, "sd must be positive"),
        ("normal", {"mean": 1.0, "sd": 1.0, "low": 2.0, "high": 1.0}, "low < high"),
        ("lognormal", {"median": -1.0, "sigma": 0.2}, "positive median"),
    ],
)
def test_inconsistent_distributions_are_named(dist: str, params: dict, problem: str) -> None:
    message = distribution_problem(dist, params)
    assert message is not None and problem in message


def test_bands_are_the_mean_and_percentiles_over_draws() -> None:
    samples = np.arange(101.0)[:, None] * np.array([1.0, -2.0])
    spread = bands(samples)
    np.testing.assert_allclose(spread.mean, [50.0, -100.0])
    np.testing.assert_allclose(spread.p05, [5.0, -190.0])
    np.testing.assert_allclose(spread.p50, [50.0, -100.0])
    np.testing.assert_allclose(spread.p95, [95.0, -10.0])
