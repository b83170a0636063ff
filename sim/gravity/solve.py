"""Structural-gravity general equilibrium: baseline calibration and counterfactual solves.

One sector, Armington-CES, Anderson–van Wincoop (Yotov, Piermartini, Monteiro & Larch 2016,
ch. 2), with endowments fixed and factory-gate prices adjusting. Symbols:

- ``T[i, j]`` = t_ij^(1 - sigma), trade costs from the gravity covariates,
  ``exp(sum_k beta_k z_ijk)``; origin i (rows), destination j (columns);
- ``sigma``: elasticity of substitution between origins (> 1);
- ``Y[i]`` output, ``E[j]`` expenditure, ``phi[j] = E[j] / Y[j]``;
- ``P[j]`` inward multilateral resistance (the buyer's price index), ``Pi[i]`` outward
  multilateral resistance, ``p[i]`` factory-gate price (baseline 1).

Baseline flows are modelled from the costs, as gegravity does: X_ij = Y_i E_j / Y_W
T_ij / (Pi_i^(1-sigma) P_j^(1-sigma)), which is the matrix ``T`` scaled (``u_i T_ij v_j``)
to the given row sums (output) and column sums (expenditure); :func:`scale_matrix`.

The exact counterfactual is the Dekle–Eaton–Kortum hat algebra on those flows: unknown
factory-gate price changes ``w = p'/p`` solve

    P^_j^(1-sigma) = sum_i pi_ij (w_i That_ij)^(1-sigma)                       (price index)
    X'_ij = pi_ij (w_i That_ij)^(1-sigma) / P^_j^(1-sigma) E'_j                    (flows)
    w_i Y_i = sum_j X'_ij                                                  (market clearing)

with ``E'_j = kappa phi_j w_j Y_j`` (``kappa`` the common scale that keeps world
expenditure equal to world output) or ``E'_j = w_j Y_j + D_j`` (deficits fixed in levels),
and the reference importer's price index as numeraire (``P^_ref = 1``), which replaces the
one clearing equation Walras' law makes redundant. Newton's method in ``log w`` with the
analytic Jacobian solves it; every market then clears to rounding error.

:func:`solve_gegravity` instead mirrors the steps of gegravity 0.3 (Herman 2021): it solves
the multilateral-resistance equations with the *baseline* output and expenditure shares and
sets ``p_i = Pi_i / Pi'_i``, so its counterfactual flows do not add up exactly.

References
----------
Yotov, Piermartini, Monteiro & Larch (2016), *An Advanced Guide to Trade Policy Analysis:
The Structural Gravity Model*, WTO/UNCTAD, ch. 2. https://doi.org/10.30875/abc0167e-en
Dekle, Eaton & Kortum (2007), "Unbalanced Trade", AER 97(2). https://doi.org/10.1257/aer.97.2.351
Herman (2021), gegravity, https://peter-herman.github.io/gegravity/
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.errors import GravitySolverError

FloatArray = NDArray[np.float64]

TOLERANCE = 1e-12
# Where rounding stops Newton short of TOLERANCE, a solution clearing every market to this
# relative error is accepted (the model's promise is 1e-10).
ACCEPTED = 1e-10
MAX_ITERATIONS = 100
CLOSURES = ("exact", "fixed-deficits", "gegravity-compatible")


@dataclass(frozen=True)
class Scaling:
    """``u_i T_ij v_j`` with the wanted row and column sums, and how it was found."""

    u: FloatArray
    v: FloatArray
    iterations: int
    residual: float

    def matrix(self, costs: FloatArray) -> FloatArray:
        """The scaled matrix ``u_i T_ij v_j``."""
        return self.u[:, None] * costs * self.v[None, :]


def scale_matrix(
    costs: FloatArray, rows: FloatArray, cols: FloatArray, *, tolerance: float = TOLERANCE
) -> Scaling:
    """Scale a positive matrix to given row and column sums (the multilateral resistances).

    Solves ``u_i sum_j T_ij v_j = rows_i`` and ``v_j sum_i T_ij u_i = cols_j`` by Newton's
    method in ``log u`` (``v`` eliminated, ``u`` of the last row fixed), started from a few
    Sinkhorn sweeps. Scale-free: no manual rescaling of the resistances is needed.

    Parameters
    ----------
    costs : ndarray, shape (n, n)
        Non-negative, every row and column with a positive entry.
    rows, cols : ndarray, shape (n,)
        Wanted sums; ``rows.sum()`` must equal ``cols.sum()``.
    tolerance : float
        Largest relative error of any row sum.

    Returns
    -------
    Scaling

    Raises
    ------
    GravitySolverError
        If Newton's method does not reach ``tolerance``.
    """
    n = len(rows)
    log_t = np.log(np.where(costs > 0, costs, 1.0))
    positive = costs > 0
    # Start: Sinkhorn in logs, robust to costs spanning many orders of magnitude.
    log_u = np.zeros(n)
    log_v = np.zeros(n)
    for _ in range(5):
        log_v = np.log(cols) - _logsumexp(log_t + log_u[:, None], positive, axis=0)
        log_u = np.log(rows) - _logsumexp(log_t + log_v[None, :], positive, axis=1)
    residual = np.inf
    best = Scaling(np.exp(log_u), np.exp(log_v), 0, np.inf)
    for iteration in range(1, MAX_ITERATIONS + 1):
        log_v = np.log(cols) - _logsumexp(log_t + log_u[:, None], positive, axis=0)
        flows = np.where(positive, np.exp(log_t + log_u[:, None] + log_v[None, :]), 0.0)
        row_sums = flows.sum(axis=1)
        gap = np.log(row_sums) - np.log(rows)
        residual = float(np.max(np.abs(row_sums / rows - 1.0)))
        if residual <= tolerance:
            return Scaling(np.exp(log_u), np.exp(log_v), iteration, residual)
        if residual < best.residual:
            best = Scaling(np.exp(log_u), np.exp(log_v), iteration, residual)
        elif best.residual <= ACCEPTED:  # no more progress near a solution: rounding
            break
        # d log(row_i) / d log(u_k) = delta_ik - sum_j (F_ij / r_i) (F_kj / c_j)
        jacobian = np.eye(n) - (flows / row_sums[:, None]) @ (flows / cols[None, :]).T
        step = np.zeros(n)
        step[:-1] = np.linalg.solve(jacobian[:-1, :-1], -gap[:-1])
        log_u = log_u + step
    if best.residual <= ACCEPTED:
        return best
    raise GravitySolverError(
        f"multilateral resistances: no convergence after {MAX_ITERATIONS} Newton steps "
        f"(largest relative error {residual:.3g})"
    )


def _logsumexp(values: FloatArray, mask: NDArray[np.bool_], *, axis: int) -> FloatArray:
    top = np.max(np.where(mask, values, -np.inf), axis=axis, keepdims=True)
    total = np.where(mask, np.exp(values - top), 0.0).sum(axis=axis)
    return np.squeeze(top, axis=axis) + np.log(total)


@dataclass(frozen=True)
class Baseline:
    """The modelled baseline: flows from the trade costs and the resistances.

    Attributes
    ----------
    costs : ndarray, shape (n, n)
        ``T = t^(1 - sigma)``.
    flows : ndarray, shape (n, n)
        Modelled flows X_ij (origin, destination).
    output, expenditure : ndarray, shape (n,)
        Y_i and E_j of the model (row and column sums of ``flows`` in the exact closures).
    inward, outward : ndarray, shape (n,)
        P_j and Pi_i (levels, P of the reference importer = 1).
    iterations : int
    residual : float
    """

    costs: FloatArray
    flows: FloatArray
    output: FloatArray
    expenditure: FloatArray
    inward: FloatArray
    outward: FloatArray
    iterations: int
    residual: float


def modelled_baseline(
    costs: FloatArray,
    output: FloatArray,
    expenditure: FloatArray,
    sigma: float,
    reference: int,
) -> Baseline:
    """Baseline flows modelled from the costs, adding up to ``output`` and ``expenditure``.

    Parameters
    ----------
    costs : ndarray, shape (n, n)
        ``T = t^(1 - sigma)``.
    output, expenditure : ndarray, shape (n,)
        Must have the same total (see :func:`balanced_expenditure`).
    sigma : float
    reference : int
        Index of the reference importer (P = 1).
    """
    world = output.sum()
    scaling = scale_matrix(costs, output / world, expenditure / world)
    flows = scaling.matrix(costs) * world
    # X_ij = Y_i E_j / Y_W T_ij / (Pi_i P_j)^(1-s) = Y_W u_i T_ij v_j, split with P_ref = 1
    imr = scaling.v * world / expenditure  # 1 / P^(1-s), up to a common factor
    imr = imr / imr[reference]
    omr = scaling.u * world**2 / (output * expenditure[reference]) * scaling.v[reference]
    power = 1.0 / (1.0 - sigma)
    return Baseline(
        costs,
        flows,
        output,
        expenditure,
        imr**-power,
        omr**-power,
        scaling.iterations,
        scaling.residual,
    )


def balanced_expenditure(output: FloatArray, expenditure: FloatArray) -> FloatArray:
    """Expenditure rescaled by one common factor so that world expenditure = world output.

    Each country keeps its ratio ``phi_j = E_j / Y_j`` up to the common factor; data sets
    rarely add up exactly (gegravity's sample: world expenditure is 0.8% below output).
    """
    return expenditure * (output.sum() / expenditure.sum())


@dataclass(frozen=True)
class Counterfactual:
    """A counterfactual equilibrium.

    Attributes
    ----------
    flows : ndarray, shape (n, n)
    output, expenditure : ndarray, shape (n,)
    price : ndarray, shape (n,)
        Factory-gate price (baseline 1).
    inward, outward : ndarray, shape (n,)
        P'_j and Pi'_i.
    iterations : int
    residual : float
        Largest relative market-clearing error (for gegravity-compatible: of its own
        equations).
    """

    flows: FloatArray
    output: FloatArray
    expenditure: FloatArray
    price: FloatArray
    inward: FloatArray
    outward: FloatArray
    iterations: int
    residual: float


def solve_exact(
    baseline: Baseline,
    cost_change: FloatArray,
    sigma: float,
    reference: int,
    *,
    fixed_deficits: bool = False,
    tolerance: float = TOLERANCE,
) -> Counterfactual:
    """Full-endowment GE counterfactual by exact hat algebra (every market clears).

    Parameters
    ----------
    baseline : Baseline
        From :func:`modelled_baseline` (its flows add up to output and expenditure).
    cost_change : ndarray, shape (n, n)
        ``That = (t'/t)^(1 - sigma)``; 0 removes a flow (a ban).
    sigma : float
    reference : int
        Index of the reference importer, whose price index is the numeraire.
    fixed_deficits : bool
        ``E'_j = Y'_j + D_j`` with the baseline deficits in levels, instead of
        ``E'_j = kappa phi_j Y'_j``.
    tolerance : float
        Largest allowed relative market-clearing error.

    Raises
    ------
    GravitySolverError
        If Newton's method does not reach ``tolerance``.
    """
    flows, output = baseline.flows, baseline.output
    expenditure = flows.sum(axis=0)
    shares = flows / expenditure[None, :]
    phi = expenditure / output
    deficit = expenditure - output
    n = len(output)
    power = 1.0 - sigma
    x = np.zeros(n)
    residual = np.inf

    def system(x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        w = np.exp(x)
        weights = shares * cost_change * (w**power)[:, None]
        index = weights.sum(axis=0)  # P^_j^(1 - sigma)
        new_shares = weights / index[None, :]
        income = w * output
        if fixed_deficits:
            spend = income + deficit
        else:
            spend = phi * income * (income.sum() / (phi * income).sum())
        sold = (new_shares * spend[None, :]).sum(axis=1)
        return sold, new_shares, spend, index

    def equations(x: FloatArray, *, in_logs: bool) -> FloatArray:
        with np.errstate(all="ignore"):  # a trial step may overflow; it is then refused
            sold, _, _, index = system(x)
            gaps = np.log(sold / output) - x if in_logs else sold / output - np.exp(x)
            gaps[reference] = np.log(index[reference])
        return gaps

    def jacobian(x: FloatArray, *, in_logs: bool) -> FloatArray:
        sold, new_shares, spend, _ = system(x)
        w = np.exp(x)
        income = w * output
        new_flows = new_shares * spend[None, :]
        # d sold_i / d x_k
        matrix = power * (np.diag(sold) - new_flows @ new_shares.T)
        if fixed_deficits:
            matrix += new_shares * income[None, :]
        else:
            weighted = phi * income
            matrix += new_shares * spend[None, :]
            matrix += np.outer(sold, income / income.sum() - weighted / weighted.sum())
        if in_logs:
            matrix = matrix / sold[:, None] - np.eye(n)
        else:
            matrix = matrix / output[:, None] - np.diag(w)
        matrix[reference] = power * new_shares[:, reference]
        return matrix

    def clearing_error(x: FloatArray) -> tuple[float, float]:
        with np.errstate(all="ignore"):
            sold, _, _, index = system(x)
            error = float(np.max(np.abs(sold / (np.exp(x) * output) - 1.0)))
            numeraire = abs(float(np.log(index[reference])))
        return error if np.isfinite(error) else np.inf, numeraire

    # Clearing in logs, log(sales / output) = log w, is the better conditioned form when
    # costs move by large factors; in levels it copes better with fixed deficits, where
    # spending can turn negative on the way. Each is tried from the baseline in turn.
    best: tuple[float, FloatArray, int] = (np.inf, np.zeros(n), 0)
    for in_logs in (True, False):
        x, iteration = _newton(
            functools.partial(equations, in_logs=in_logs),
            functools.partial(jacobian, in_logs=in_logs),
            clearing_error,
            np.zeros(n),
            tolerance,
        )
        residual, numeraire = clearing_error(x)
        if residual < best[0] and numeraire <= ACCEPTED:
            best = (residual, x, iteration)
        if best[0] <= tolerance:
            break
    residual, x, iteration = best
    if residual > ACCEPTED:
        raise GravitySolverError(
            f"gravity GE: no equilibrium found (largest relative market-clearing error "
            f"{residual:.3g} after {MAX_ITERATIONS} Newton steps in logs and in levels)"
        )
    sold, new_shares, spend, index = system(x)
    return _counterfactual(
        baseline,
        cost_change,
        sigma,
        reference,
        np.exp(x),
        new_shares,
        spend,
        index,
        iteration,
        residual,
    )


def _newton(
    equations: Callable[[FloatArray], FloatArray],
    jacobian: Callable[[FloatArray], FloatArray],
    clearing_error: Callable[[FloatArray], tuple[float, float]],
    x: FloatArray,
    tolerance: float,
) -> tuple[FloatArray, int]:
    """Newton's method with a halving line search, until clearing reaches ``tolerance``.

    Stops early where no step lowers the residual (the rounding floor, or stuck); returns
    the last iterate and the number of steps taken.
    """
    iteration = 0
    while iteration < MAX_ITERATIONS:
        residual, numeraire = clearing_error(x)
        if residual <= tolerance and numeraire <= tolerance:
            break
        iteration += 1
        current = equations(x)
        with np.errstate(all="ignore"):
            step = np.asarray(np.linalg.solve(jacobian(x), -current), dtype=np.float64)
        if not np.all(np.isfinite(step)):
            break
        moved = _line_search(equations, x, step, current)
        if moved is None:
            break
        x = moved
    return x, iteration


def _line_search(
    equations: Callable[[FloatArray], FloatArray],
    x: FloatArray,
    step: FloatArray,
    current: FloatArray,
) -> FloatArray | None:
    """Halve the Newton step until the residual norm falls (at most 30 halvings)."""
    norm = float(np.linalg.norm(current))
    scale = 1.0
    for _ in range(30):
        trial = x + scale * step
        values = equations(trial)
        if np.all(np.isfinite(values)) and np.linalg.norm(values) < norm:
            return trial
        scale /= 2.0
    return None


def _counterfactual(
    baseline: Baseline,
    cost_change: FloatArray,
    sigma: float,
    reference: int,
    w: FloatArray,
    new_shares: FloatArray,
    spend: FloatArray,
    index: FloatArray,
    iterations: int,
    residual: float,
) -> Counterfactual:
    flows = new_shares * spend[None, :]
    output = w * baseline.output
    inward = baseline.inward * index ** (1.0 / (1.0 - sigma))
    costs_after = baseline.costs * cost_change
    world = output.sum()
    outward_power = (costs_after * spend[None, :] / inward[None, :] ** (1.0 - sigma)).sum(axis=1)
    outward = (outward_power / world) ** (1.0 / (1.0 - sigma))
    return Counterfactual(flows, output, spend, w, inward, outward, iterations, residual)


@dataclass(frozen=True)
class GegravityResult:
    """gegravity's baseline and experiment, computed as its OneSectorGE does.

    Attributes
    ----------
    baseline_flows, flows : ndarray, shape (n, n)
        Modelled baseline and experiment flows.
    baseline_inward, inward, baseline_outward, outward : ndarray, shape (n,)
        P and Pi before and after.
    price : ndarray, shape (n,)
        Factory-gate price (baseline 1).
    output, expenditure : ndarray, shape (n,)
        Y' = p Y and E' = phi Y'.
    iterations : int
    residual : float
    """

    baseline_flows: FloatArray
    flows: FloatArray
    baseline_inward: FloatArray
    inward: FloatArray
    baseline_outward: FloatArray
    outward: FloatArray
    price: FloatArray
    output: FloatArray
    expenditure: FloatArray
    iterations: int
    residual: float


def solve_gegravity(
    costs: FloatArray,
    new_costs: FloatArray,
    output: FloatArray,
    expenditure: FloatArray,
    sigma: float,
    reference: int,
) -> GegravityResult:
    """The counterfactual as gegravity 0.3 computes it (its 'full GE' closure).

    gegravity solves ``1/P_j^(1-s) = 1 / sum_i T_ij s_i / Pi_i^(1-s)`` and
    ``1/Pi_i^(1-s) = 1 / sum_j T_ij e_j / P_j^(1-s)`` (``s``, ``e``: baseline output and
    expenditure shares, each over its own world total) before and after the cost change,
    with the factory-gate price equation ``p_i^(1-s) = Pi_i^(1-s) / Pi'_i^(1-s)``; because
    the shares stay at their baseline values its MR equations do not depend on prices, and
    the counterfactual flows ``X'_ij = T'_ij E'_j (Y'_i / Y'_W) / (P'_j Pi'_i)^(1-s)`` do
    not add up to ``E'_j = phi_j p_j Y_j``. Here the MR systems are solved to rounding
    error rather than to gegravity's 1e-8.

    Parameters
    ----------
    costs, new_costs : ndarray, shape (n, n)
        ``T`` before and after.
    output, expenditure : ndarray, shape (n,)
        Observed Y and E.
    sigma : float
    reference : int
    """
    out_share = output / output.sum()
    exp_share = expenditure / expenditure.sum()
    power = 1.0 - sigma

    def mrs(t: FloatArray) -> tuple[FloatArray, FloatArray, Scaling]:
        scaling = scale_matrix(t, out_share, exp_share)
        imr = scaling.v / exp_share  # 1 / P^(1-s) up to a common factor c
        omr = scaling.u / out_share  # 1 / Pi^(1-s) up to 1 / c
        c = 1.0 / imr[reference]
        return imr * c, omr / c, scaling

    imr0, omr0, first = mrs(costs)
    imr1, omr1, second = mrs(new_costs)
    price = (omr1 / omr0) ** (1.0 / power)
    new_output = price * output
    new_expenditure = (expenditure / output) * new_output
    new_share = new_output / new_output.sum()
    baseline_flows = costs * expenditure[None, :] * out_share[:, None] * imr0[None, :]
    baseline_flows = baseline_flows * omr0[:, None]
    flows = new_costs * new_expenditure[None, :] * new_share[:, None] * imr1[None, :]
    flows = flows * omr1[:, None]
    return GegravityResult(
        baseline_flows=baseline_flows,
        flows=flows,
        baseline_inward=imr0 ** (-1.0 / power),
        inward=imr1 ** (-1.0 / power),
        baseline_outward=omr0 ** (-1.0 / power),
        outward=omr1 ** (-1.0 / power),
        price=price,
        output=new_output,
        expenditure=new_expenditure,
        iterations=first.iterations + second.iterations,
        residual=max(first.residual, second.residual),
    )
