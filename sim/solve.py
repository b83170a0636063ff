"""Solve the equilibrium of one period for all sectors at once.

Newton's method in log producer prices with the analytic Jacobian of
:func:`sim.model.excess_demand`, batched over sectors (the Jacobian is block-diagonal by
sector) with a backtracking line search. A sector that Newton cannot settle is handed to
``scipy.optimize.root`` (Powell's hybrid method) with the same Jacobian. Convergence is
judged by the largest gap between log demand and log supply, never by a solver's message.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from sim.errors import SolverError
from sim.model import Baseline, BoolArray, Elasticities, FloatArray, Policy, excess_demand

TOLERANCE = 1e-10
TARGET = 1e-14
MAX_ITERATIONS = 100
MAX_LOG_STEP = 2.0


@dataclass(frozen=True)
class SolveReport:
    """How one period's solve went."""

    iterations: int
    residual: float
    fallback_sectors: tuple[int, ...] = ()


def _masks(
    baseline: Baseline, policy: Policy, elasticities: Elasticities
) -> tuple[BoolArray, BoolArray]:
    """Origins whose price is solved for, and origins left with no market at all."""
    output = baseline.output
    reachable = (policy.availability * baseline.flows).sum(axis=2) > 0
    dead = (output > 0) & ~reachable
    active = (output > 0) & reachable & np.isfinite(elasticities.eta)
    return active, dead


def _residual(
    x: FloatArray,
    active: BoolArray,
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
) -> tuple[FloatArray, FloatArray]:
    residual, jacobian = excess_demand(x, baseline, policy, elasticities)
    residual = np.where(active, residual, 0.0)
    keep = active[:, :, None] & active[:, None, :]
    eye = np.eye(x.shape[1], dtype=bool)[None, :, :] & ~active[:, :, None]
    jacobian = np.where(keep, jacobian, 0.0) + eye
    return residual, jacobian


def solve_period(
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
    *,
    initial: FloatArray | None = None,
    sector_names: tuple[str, ...] = (),
    period: str = "",
    tolerance: float = TOLERANCE,
) -> tuple[FloatArray, SolveReport]:
    """Find log producer prices that clear every market of one period.

    Parameters
    ----------
    baseline : Baseline
    policy : Policy
    elasticities : Elasticities
    initial : ndarray, shape (sector, origin), optional
        Starting log prices (e.g. the previous period's solution); zeros by default.
    sector_names, period : optional
        Used to name the failing market in a :class:`SolverError`.
    tolerance : float
        Largest allowed gap between log demand and log supply of any producer.

    Returns
    -------
    log_price : ndarray, shape (sector, origin)
        ``-inf`` for an origin whose every market is closed.
    report : SolveReport

    Raises
    ------
    SolverError
        If a sector's markets cannot be cleared to ``tolerance``.
    """
    active, dead = _masks(baseline, policy, elasticities)
    x = (
        np.zeros(baseline.output.shape)
        if initial is None
        else np.nan_to_num(initial, neginf=0.0).copy()
    )
    x = np.where(active, x, 0.0)
    x[dead] = -np.inf
    residual, jacobian = _residual(x, active, baseline, policy, elasticities)
    norm = np.abs(residual).max(axis=1, initial=0.0)
    iterations = 0
    # Iterate well below the tolerance, until rounding stops any further progress.
    todo = norm > min(TARGET, tolerance)
    while iterations < MAX_ITERATIONS and np.any(todo):
        iterations += 1
        step = np.zeros_like(x)
        with np.errstate(all="ignore"):
            step[todo] = np.linalg.solve(jacobian[todo], -residual[todo][:, :, None])[:, :, 0]
        step = np.nan_to_num(step, nan=0.0, posinf=0.0, neginf=0.0)
        biggest = np.abs(step).max(axis=1, initial=0.0)
        step *= np.minimum(1.0, MAX_LOG_STEP / np.where(biggest > 0, biggest, 1.0))[:, None]
        before = norm
        x, residual, jacobian, norm = _line_search(
            x, step, norm, residual, jacobian, active, baseline, policy, elasticities
        )
        todo = todo & (norm < before) & (norm > min(TARGET, tolerance))
    fallback = tuple(int(s) for s in np.flatnonzero(norm > tolerance))
    for s in fallback:
        x[s], norm[s] = _scipy_sector(s, x, active, baseline, policy, elasticities)
        if not norm[s] <= tolerance:
            name = sector_names[s] if sector_names else str(s)
            raise SolverError(name, period, float(norm[s]))
    return x, SolveReport(iterations, float(norm.max(initial=0.0)), fallback)


def _line_search(
    x: FloatArray,
    step: FloatArray,
    norm: FloatArray,
    residual: FloatArray,
    jacobian: FloatArray,
    active: BoolArray,
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Halve the Newton step per sector until the largest residual falls."""
    length = np.ones(x.shape[0])
    pending = np.any(step != 0, axis=1)
    for _ in range(40):
        if not pending.any():
            break
        trial = x + length[:, None] * step
        with np.errstate(all="ignore"):
            new_residual, new_jacobian = _residual(trial, active, baseline, policy, elasticities)
        new_norm = np.abs(new_residual).max(axis=1, initial=0.0)
        better = pending & np.isfinite(new_norm) & (new_norm < (1.0 - 1e-4 * length) * norm)
        x = np.where(better[:, None], trial, x)
        residual = np.where(better[:, None], new_residual, residual)
        jacobian = np.where(better[:, None, None], new_jacobian, jacobian)
        norm = np.where(better, new_norm, norm)
        pending &= ~better
        length = np.where(pending, length / 2.0, length)
    return x, residual, jacobian, norm


def _scipy_sector(
    s: int,
    x: FloatArray,
    active: BoolArray,
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
) -> tuple[FloatArray, float]:
    """Solve one sector with ``scipy.optimize.root`` over its active origins."""
    keep = active[s]
    start = x[s].copy()

    def fun(values: FloatArray) -> tuple[FloatArray, FloatArray]:
        trial = x.copy()
        trial[s, keep] = values
        with np.errstate(all="ignore"):
            residual, jacobian = _residual(trial, active, baseline, policy, elasticities)
        return residual[s, keep], jacobian[s][np.ix_(keep, keep)]

    result = optimize.root(fun, start[keep], jac=True, method="hybr", options={"xtol": 1e-14})
    start[keep] = result.x
    trial = x.copy()
    trial[s] = start
    residual, _ = _residual(trial, active, baseline, policy, elasticities)
    worst = float(np.abs(residual[s]).max(initial=0.0))
    return start, worst if np.isfinite(worst) else float("inf")
