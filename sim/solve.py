"""Solve the equilibrium of one period for all sectors at once.

Newton's method in log producer prices with the analytic Jacobian of
:func:`sim.model.excess_demand`, batched over sectors (the Jacobian is block-diagonal by
sector) with a backtracking line search. A sector that Newton cannot settle is handed to
``scipy.optimize.root`` (Powell's hybrid method) with the same Jacobian. Convergence is
judged by the largest gap between log demand and log supply, never by a solver's message.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from sim.errors import SolverError
from sim.model import (
    Baseline,
    BoolArray,
    Elasticities,
    Equilibrium,
    FloatArray,
    Policy,
    _log_gap,
    clearing_gap,
    evaluate,
    excess_demand,
)

IntArray = NDArray[np.intp]

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
    x, report, _ = _solve_period(
        baseline, policy, elasticities, initial, sector_names, period, tolerance, False
    )
    return x, report


def solve_and_evaluate(
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
    *,
    initial: FloatArray | None = None,
    sector_names: tuple[str, ...] = (),
    period: str = "",
    tolerance: float = TOLERANCE,
) -> tuple[FloatArray, SolveReport, Equilibrium]:
    """:func:`solve_period`, and :func:`sim.model.evaluate` at the prices found.

    The model is evaluated once at the start for every sector; only the sectors the
    solver moved are evaluated again at their new prices. Sectors are independent
    markets, so the result is :func:`sim.model.evaluate` of the whole, number for number.
    """
    x, report, equilibrium = _solve_period(
        baseline, policy, elasticities, initial, sector_names, period, tolerance, True
    )
    assert equilibrium is not None
    return x, report, equilibrium


def _solve_period(
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
    initial: FloatArray | None,
    sector_names: tuple[str, ...],
    period: str,
    tolerance: float,
    keep: bool,
) -> tuple[FloatArray, SolveReport, Equilibrium | None]:
    active, dead = _masks(baseline, policy, elasticities)
    x = (
        np.zeros(baseline.output.shape)
        if initial is None
        else np.nan_to_num(initial, neginf=0.0).copy()
    )
    x = np.where(active, x, 0.0)
    x[dead] = -np.inf
    equilibrium = None
    with np.errstate(all="ignore"):
        if keep:
            equilibrium = evaluate(x, baseline, policy, elasticities)
            gap = _log_gap(equilibrium, baseline)[0]
        else:
            gap = clearing_gap(x, baseline, policy, elasticities)
        residual = np.where(active, gap, 0.0)
    norm = np.abs(residual).max(axis=1, initial=0.0)
    # Sectors are independent markets: iterate only on those not yet cleared. Written as
    # "not cleared" rather than "gap too large" so that a NaN gap is never taken as cleared.
    moving = np.flatnonzero(~(norm <= min(TARGET, tolerance)))
    iterations = 0
    fallback: list[int] = []
    if len(moving):
        sub = (
            _sectors(baseline, moving),
            _sectors(policy, moving),
            _sectors(elasticities, moving),
        )
        residual_sub, jacobian_sub = _residual(x[moving], active[moving], *sub)
        x_sub, norm_sub, iterations = _newton(
            x[moving],
            residual_sub,
            jacobian_sub,
            np.abs(residual_sub).max(axis=1, initial=0.0),
            active[moving],
            *sub,
            target=min(TARGET, tolerance),
        )
        for k in np.flatnonzero(~(norm_sub <= tolerance)):
            fallback.append(int(moving[k]))
            x_sub[k], norm_sub[k] = _scipy_sector(int(k), x_sub, active[moving], *sub)
            if not norm_sub[k] <= tolerance:
                s = int(moving[k])
                name = sector_names[s] if sector_names else str(s)
                raise SolverError(name, period, float(norm_sub[k]))
        x[moving], norm[moving] = x_sub, norm_sub
        if equilibrium is not None:
            equilibrium = _splice(equilibrium, moving, evaluate(x_sub, *sub))
    return x, SolveReport(iterations, float(norm.max(initial=0.0)), tuple(fallback)), equilibrium


def _splice(whole: Equilibrium, which: IntArray, part: Equilibrium) -> Equilibrium:
    """``whole`` with the sectors ``which`` replaced by ``part`` (arrays changed in place)."""
    for f in dataclasses.fields(Equilibrium):
        target, value = getattr(whole, f.name), getattr(part, f.name)
        if target is not None and value is not None:
            target[which] = value
    return whole


def _newton(
    x: FloatArray,
    residual: FloatArray,
    jacobian: FloatArray,
    norm: FloatArray,
    active: BoolArray,
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
    *,
    target: float,
) -> tuple[FloatArray, FloatArray, int]:
    """Newton's method with line search, batched over the given sectors."""
    iterations = 0
    # Iterate well below the tolerance, until rounding stops any further progress.
    todo = norm > target
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
        todo = todo & (norm < before) & (norm > target)
    return x, norm, iterations


_T = TypeVar("_T", Baseline, Policy, Elasticities)


def _sectors(arrays: _T, which: IntArray) -> _T:
    """The same arrays for the chosen sectors only (the first axis of each)."""
    fields: dict[str, Any] = {
        field.name: None if value is None else value[which]
        for field in dataclasses.fields(arrays)
        for value in [getattr(arrays, field.name)]
    }
    return dataclasses.replace(arrays, **fields)


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
    """Halve the Newton step per sector until the largest residual falls.

    Each trial evaluates only the sectors still searching: the others have taken their
    step (or have none), and sectors are independent markets.
    """
    length = np.ones(x.shape[0])
    pending = np.any(step != 0, axis=1)
    x, residual, jacobian, norm = x.copy(), residual.copy(), jacobian.copy(), norm.copy()
    for _ in range(40):
        which = np.flatnonzero(pending)
        if not len(which):
            break
        every = len(which) == len(pending)
        sub = (
            (baseline, policy, elasticities)
            if every
            else (
                _sectors(baseline, which),
                _sectors(policy, which),
                _sectors(elasticities, which),
            )
        )
        trial = x[which] + length[which, None] * step[which]
        with np.errstate(all="ignore"):
            new_residual, new_jacobian = _residual(trial, active[which], *sub)
        new_norm = np.abs(new_residual).max(axis=1, initial=0.0)
        better = np.isfinite(new_norm) & (new_norm < (1.0 - 1e-4 * length[which]) * norm[which])
        taken = which[better]
        x[taken] = trial[better]
        residual[taken] = new_residual[better]
        jacobian[taken] = new_jacobian[better]
        norm[taken] = new_norm[better]
        pending[taken] = False
        length[which[~better]] /= 2.0
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
