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
    _evaluate,
    _log_gap,
    excess_demand,
    gap_jacobian,
    price_index,
)
from sim.nested import NestedDemand

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
    return _masked(residual, jacobian, active)


def _masked(
    residual: FloatArray, jacobian: FloatArray, active: BoolArray
) -> tuple[FloatArray, FloatArray]:
    """The residual and Jacobian over active origins, the others' rows set to hold still."""
    residual = np.where(active, residual, 0.0)
    keep = active[:, :, None] & active[:, None, :]
    eye = np.eye(active.shape[1], dtype=bool)[None, :, :] & ~active[:, :, None]
    jacobian = np.where(keep, jacobian, 0.0) + eye
    return residual, jacobian


@dataclass
class _Trial:
    """The model at one set of trial prices of some sectors: gap, Jacobian and equilibrium.

    ``jacobian`` is computed only for the sectors ``wanted`` (those that will step again).
    """

    residual: FloatArray
    norm: FloatArray
    equilibrium: Equilibrium
    nested: NestedDemand | None
    sold: FloatArray


def _trial(
    x: FloatArray,
    active: BoolArray,
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
    log_wedge: FloatArray | None = None,
) -> _Trial:
    """Evaluate the model at ``x`` (without its price index) and its clearing gap.

    ``log_wedge``: the policy's :meth:`~sim.model.Policy.log_wedge`, when already at hand.
    """
    equilibrium, nested = _evaluate(
        x, baseline, policy, elasticities, with_index=False, log_wedge=log_wedge
    )
    gap, sold = _log_gap(equilibrium, baseline)
    residual = np.where(active, gap, 0.0)
    return _Trial(residual, np.abs(residual).max(axis=1, initial=0.0), equilibrium, nested, sold)


def _jacobian(
    trial: _Trial,
    which: IntArray,
    active: BoolArray,
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
) -> FloatArray:
    """The masked Jacobian of the sectors ``which`` of a trial (its inputs already cut)."""
    every = len(which) == len(trial.norm)
    jacobian = gap_jacobian(
        trial.equilibrium if every else _rows(trial.equilibrium, which),
        trial.nested if every or trial.nested is None else _rows(trial.nested, which),
        trial.sold[which],
        *(
            (baseline, policy, elasticities)
            if every
            else _cut(baseline, policy, elasticities, which)
        ),
    )
    return _masked(trial.residual[which], jacobian, active[which])[1]


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
    target = min(TARGET, tolerance)
    # The policy is the same at every trial price: its wedges are worked out once.
    wedge = policy.log_wedge(baseline)
    with np.errstate(all="ignore"):
        start = _trial(x, active, baseline, policy, elasticities, wedge)
    norm = start.norm
    # Sectors are independent markets: iterate only on those not yet cleared. Written as
    # "not cleared" rather than "gap too large" so that a NaN gap is never taken as cleared.
    moving = np.flatnonzero(~(norm <= target))
    iterations = 0
    fallback: list[int] = []
    equilibrium = start.equilibrium
    if len(moving):
        every = len(moving) == len(norm)
        sub = (baseline, policy, elasticities)
        if not every:
            sub = _cut(baseline, policy, elasticities, moving)
            wedge = np.take(wedge, moving, axis=0)
        with np.errstate(all="ignore"):
            jacobian = _jacobian(start, moving, active, baseline, policy, elasticities)
        first = _Trial(
            start.residual[moving],
            norm[moving],
            equilibrium if every else _rows(equilibrium, moving),
            None,
            start.sold[moving],
        )
        x_sub, found, iterations = _newton(
            x[moving], first, jacobian, active[moving], *sub, target=target, log_wedge=wedge
        )
        norm_sub = found.norm.copy()
        handed = np.flatnonzero(~(norm_sub <= tolerance))
        for k in handed:
            fallback.append(int(moving[k]))
            x_sub[k], norm_sub[k] = _scipy_sector(int(k), x_sub, active[moving], *sub)
            if not norm_sub[k] <= tolerance:
                s = int(moving[k])
                name = sector_names[s] if sector_names else str(s)
                raise SolverError(name, period, float(norm_sub[k]))
        x[moving], norm[moving] = x_sub, norm_sub
        moved = found.equilibrium
        if len(handed):
            # scipy's prices were never evaluated by Newton: those sectors are again.
            with np.errstate(all="ignore"):
                again = _trial(
                    x_sub[handed], active[moving][handed], *_cut(*sub, handed), wedge[handed]
                )
            moved = _splice(_own(moved, first.equilibrium), handed, again.equilibrium)
        equilibrium = moved if every else _splice(equilibrium, moving, moved)
    report = SolveReport(iterations, float(norm.max(initial=0.0)), tuple(fallback))
    if not keep:
        return x, report, None
    assert equilibrium.log_response_index is not None
    with np.errstate(all="ignore"):
        index = price_index(x, baseline, policy, elasticities, equilibrium.log_response_index)
    return x, report, dataclasses.replace(equilibrium, log_price=x, price_index=index)


def _splice(whole: Equilibrium, which: IntArray, part: Equilibrium) -> Equilibrium:
    """``whole`` with the sectors ``which`` replaced by ``part`` (arrays changed in place)."""
    for f in dataclasses.fields(Equilibrium):
        target, value = getattr(whole, f.name), getattr(part, f.name)
        if target is not None and value is not None:
            target[which] = value
    return whole


def _newton(
    x: FloatArray,
    start: _Trial,
    jacobian: FloatArray,
    active: BoolArray,
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
    *,
    target: float,
    log_wedge: FloatArray,
) -> tuple[FloatArray, _Trial, int]:
    """Newton's method with line search, batched over the given sectors.

    ``log_wedge`` is the policy's log wedge of these sectors. Returns the prices found, the
    model at them (as the last accepted trial of each sector evaluated it) and the number
    of iterations.
    """
    iterations = 0
    found = start
    norm = start.norm
    # Iterate well below the tolerance, until rounding stops any further progress.
    todo = norm > target
    while iterations < MAX_ITERATIONS and np.any(todo):
        iterations += 1
        step = np.zeros_like(x)
        with np.errstate(all="ignore"):
            step[todo] = np.linalg.solve(jacobian[todo], -found.residual[todo][:, :, None])[:, :, 0]
        step = np.nan_to_num(step, nan=0.0, posinf=0.0, neginf=0.0)
        biggest = np.abs(step).max(axis=1, initial=0.0)
        step *= np.minimum(1.0, MAX_LOG_STEP / np.where(biggest > 0, biggest, 1.0))[:, None]
        before = norm
        x, found, jacobian = _line_search(
            x, step, found, jacobian, active, baseline, policy, elasticities, target, log_wedge
        )
        norm = found.norm
        todo = todo & (norm < before) & (norm > target)
    return x, found, iterations


_T = TypeVar("_T", Baseline, Policy, Elasticities, Equilibrium, NestedDemand)


def _rows(arrays: _T, which: IntArray) -> _T:
    """The same arrays for the chosen sectors only (the first axis of each)."""
    if isinstance(arrays, Baseline):
        return arrays.sectors(which)  # type: ignore[return-value]
    # np.take rather than indexing: the same rows, copied by a faster path.
    fields: dict[str, Any] = {
        name: None if value is None else np.take(value, which, axis=0)
        for name in _FIELDS[type(arrays)]
        for value in [getattr(arrays, name)]
    }
    return type(arrays)(**fields)


_FIELDS: dict[type, tuple[str, ...]] = {
    kind: tuple(f.name for f in dataclasses.fields(kind))
    for kind in (Policy, Elasticities, Equilibrium, NestedDemand)
}


def _cut(
    baseline: Baseline, policy: Policy, elasticities: Elasticities, which: IntArray
) -> tuple[Baseline, Policy, Elasticities]:
    """A market system's inputs for the chosen sectors only."""
    return _rows(baseline, which), _rows(policy, which), _rows(elasticities, which)


def _line_search(
    x: FloatArray,
    step: FloatArray,
    found: _Trial,
    jacobian: FloatArray,
    active: BoolArray,
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
    target: float,
    log_wedge: FloatArray,
) -> tuple[FloatArray, _Trial, FloatArray]:
    """Halve the Newton step per sector until the largest residual falls.

    Each trial evaluates only the sectors still searching: the others have taken their
    step (or have none), and sectors are independent markets. The Jacobian is computed
    only where a step is taken and the gap is still above ``target``: only those
    sectors step again.
    """
    length = np.ones(x.shape[0])
    pending = np.any(step != 0, axis=1)
    x, jacobian = x.copy(), jacobian.copy()
    residual, norm = found.residual.copy(), found.norm.copy()
    equilibrium = found.equilibrium
    for _ in range(40):
        which = np.flatnonzero(pending)
        if not len(which):
            break
        every = len(which) == len(pending)
        sub = (
            (baseline, policy, elasticities)
            if every
            else _cut(baseline, policy, elasticities, which)
        )
        trial = x[which] + length[which, None] * step[which]
        wedge = log_wedge if every else np.take(log_wedge, which, axis=0)
        with np.errstate(all="ignore"):
            new = _trial(trial, active[which], *sub, wedge)
        better = np.isfinite(new.norm) & (new.norm < (1.0 - 1e-4 * length[which]) * norm[which])
        taken = which[better]
        x[taken] = trial[better]
        residual[taken] = new.residual[better]
        norm[taken] = new.norm[better]
        # The trial's own arrays are fresh: taken whole when every sector stepped.
        if every and better.all():
            equilibrium = new.equilibrium
        else:
            part = (
                new.equilibrium if better.all() else _rows(new.equilibrium, np.flatnonzero(better))
            )
            equilibrium = _splice(_own(equilibrium, found.equilibrium), taken, part)
        going = np.flatnonzero(better & (new.norm > target))
        if len(going):
            with np.errstate(all="ignore"):
                jacobian[which[going]] = _jacobian(new, going, active[which], *sub)
        pending[taken] = False
        length[which[~better]] /= 2.0
    return x, _Trial(residual, norm, equilibrium, None, found.sold), jacobian


def _own(equilibrium: Equilibrium, given: Equilibrium) -> Equilibrium:
    """``equilibrium``, copied first if it is still the one ``given`` (not to be changed)."""
    if equilibrium is not given:
        return equilibrium
    return _rows(equilibrium, np.arange(len(equilibrium.log_price)))


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
