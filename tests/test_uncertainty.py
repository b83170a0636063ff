"""Parameter draws: reproducible per draw index, inside their support, right moments."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.uncertainty import Distribution, bands, distribution_problem, draw_values, percentiles

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


@pytest.mark.parametrize("draws", [1, 2, 3, 7, 20, 101, 1000, 10_000])
@pytest.mark.parametrize("q", [(5.0, 50.0, 95.0), (0.0, 100.0, 33.3, 66.7, 99.99, 0.01)])
def test_percentiles_are_numpys_number_for_number(draws: int, q: tuple[float, ...]) -> None:
    # Ties, NaN and infinite draws included: the sort must pick the same order statistics
    # and interpolate between them as numpy.percentile does, to the bit.
    rng = np.random.default_rng(draws)
    samples = rng.normal(size=(draws, 3, 4))
    samples[:, 0, 1] = np.round(samples[:, 0, 1])
    samples[rng.integers(draws), 1, 0] = np.nan
    samples[0, 2, 2], samples[-1, 2, 3] = np.inf, -np.inf
    with np.errstate(invalid="ignore"):
        expected = np.percentile(samples, q, axis=0)
    found = percentiles(samples, q)
    assert found.shape == expected.shape
    assert np.array_equal(found, expected, equal_nan=True)
    assert np.array_equal(percentiles(samples[:, 0, 0], q), np.percentile(samples[:, 0, 0], q))


def _scipy_ppf(distribution: Distribution, u: np.ndarray) -> np.ndarray:
    """The inverse distribution functions as scipy.stats gives them."""
    p = dict(distribution.params)
    if distribution.dist == "triangular":
        width = p["high"] - p["low"]
        return stats.triang.ppf(u, (p["mode"] - p["low"]) / width, loc=p["low"], scale=width)
    if distribution.dist == "normal":
        low, high = distribution.support
        a, b = (low - p["mean"]) / p["sd"], (high - p["mean"]) / p["sd"]
        return stats.truncnorm.ppf(u, a, b, loc=p["mean"], scale=p["sd"])
    if distribution.dist == "lognormal":
        return p["median"] * np.exp(p["sigma"] * stats.norm.ppf(u))
    return stats.uniform.ppf(u, loc=p["low"], scale=p["high"] - p["low"])


@pytest.mark.parametrize(
    "distribution",
    [
        *ALL,
        Distribution("triangular", (("low", 1.0), ("mode", 1.0), ("high", 4.0))),
        Distribution("triangular", (("low", 1.1), ("mode", 2.0), ("high", 2.0))),
        Distribution("normal", (("mean", 0.03), ("sd", 0.01))),
        Distribution("normal", (("mean", 0.03), ("sd", 0.01), ("low", 0.0))),
        Distribution("normal", (("mean", 0.03), ("sd", 0.01), ("high", 0.02))),
        # an interval far in the right tail, and one far in the left
        Distribution("normal", (("mean", 0.0), ("sd", 1.0), ("low", 9.0), ("high", 12.0))),
        Distribution("normal", (("mean", 0.0), ("sd", 1.0), ("low", -30.0), ("high", -8.0))),
        Distribution("lognormal", (("median", 1.0), ("sigma", 1.5))),
    ],
)
def test_inverse_distribution_functions_are_those_of_scipy_stats(
    distribution: Distribution,
) -> None:
    """Drawn without importing scipy.stats, the same numbers: a seed keeps its draws."""
    u = np.random.default_rng(5).random(20_000)
    u = np.concatenate([u, [1e-12, 1e-9, 0.5, 1.0 - 1e-9, 1.0 - 1e-12]])
    mine = distribution.ppf(u)
    theirs = _scipy_ppf(distribution, u)
    assert np.all(np.isfinite(mine))
    assert mine.tobytes() == theirs.tobytes()
