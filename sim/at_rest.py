"""Sectors at their baseline: solved once, the solution kept while they stay there.

A sector's quarter is a deterministic function of its policy rows, its adjustment memory
and its starting prices. It is *at its baseline* when its policy rows are those of no
policy at all (baseline tariffs, nothing else, a trend growth multiplier of exactly 1),
its memory holds no price change (every remembered log price and its young part exactly
0) and it starts from log prices of exactly +0. Its days still differ from one quarter to
the next, and so do the response weights :func:`sim.adjustment.period_elasticities`
derives from them, but they weigh log delivered prices that are all +0: every response
price is then a zero, every ratio to the baseline is ``exp(0) = 1`` exactly, and the
equilibrium is the baseline's, the same bits in every quarter. The solver returns
``x = +0`` there without an iteration, with a residual of exactly 0 (``no shock ->
baseline exactly``).

So the first solve of a sector at its baseline is kept (:func:`learn`), but only if the
solver did return exactly that: no iteration, a zero residual, log prices of +0. Later
quarters in which the sector is at its baseline take that equilibrium (:func:`recall`)
instead of solving it again; its adjustment memory is still advanced as a solve would
advance it. The conditions are checked exactly, never to a tolerance.

Not covered (solved as usual): sectors with processing routes, states with purchases or
channel wedges (their equilibria carry arrays the kept one has not), and quotas.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.adjustment import AdjustmentState
from sim.model import Equilibrium, FloatArray, Policy
from sim.processing import Routes
from sim.sector_parts import IntArray, changed_rows
from sim.solve import SolveReport

BoolArray = NDArray[np.bool_]

_MEMORY = ("index", "price", "young_index", "young_price", "delivered", "young_delivered")
# Optional policy arrays whose presence changes the fields of an equilibrium.
_CHANGES_FIELDS = ("purchase_volume", "purchase_spending", "channel_wedge", "channel_volume")


@dataclass(frozen=True)
class Kept:
    """The baseline equilibrium of the sectors solved at their baseline so far.

    Attributes
    ----------
    known : ndarray of bool, shape (sector,)
        Sectors whose baseline equilibrium is kept.
    equilibrium : Equilibrium or None
        Arrays over every sector; rows are meaningful where ``known``. The spending
        shares are not kept.
    """

    known: BoolArray
    equilibrium: Equilibrium | None = None


def nothing_kept(count: int) -> Kept:
    """No sector solved at its baseline yet."""
    return Kept(np.zeros(count, dtype=bool))


def at_baseline(
    state: Policy,
    neutral: Policy,
    memory: AdjustmentState,
    guess: FloatArray | None,
    routes: Routes | None,
) -> BoolArray:
    """Sectors at their baseline in a part of a quarter, shape (sector,).

    Parameters
    ----------
    state : Policy
        The part's policy state (of the legs; trend growth included).
    neutral : Policy
        The state of no policy (:meth:`sim.model.Policy.none`).
    memory : AdjustmentState
        The path's adjustment memory before the part.
    guess : ndarray, shape (sector, origin), or None
        The starting log prices (``None``: zeros).
    routes : Routes, optional
        Processing routes: their sectors are never taken as at their baseline.
    """
    count = state.tariff.shape[0]
    if any(getattr(state, name) is not None for name in _CHANGES_FIELDS):
        return np.zeros(count, dtype=bool)
    # The arrays of one value per region first, the flow-sized ones only if need be.
    rest = _all_rows(state.demand == 1) & _all_rows(state.supply == 1)
    if guess is not None:
        rest &= _all_rows((guess == 0) & ~np.signbit(guess))
    if routes is not None:
        rest[routes.sector] = False
    for name in _MEMORY:
        if rest.any():
            rest &= _all_rows(getattr(memory, name) == 0)
    if rest.any():
        rest &= ~changed_rows(state, neutral)
    return rest


def _all_rows(mask: BoolArray) -> BoolArray:
    return np.asarray(mask.reshape(mask.shape[0], -1).all(axis=1))


def learn(kept: Kept, sectors: IntArray, equilibrium: Equilibrium, report: SolveReport) -> Kept:
    """Keep the solve of some sectors at their baseline, if it is exactly the baseline.

    Parameters
    ----------
    kept : Kept
    sectors : ndarray of int
        The sectors solved, all at their baseline (:func:`at_baseline`), in one part.
    equilibrium : Equilibrium
        Their solved equilibrium (rows over ``sectors``).
    report : SolveReport
        Their solve's report: the solve is kept only if it took no iteration and left a
        residual of exactly 0, so that a kept sector's iterations and residual are 0.
    """
    price = equilibrium.log_price
    exact = (
        report.iterations == 0
        and report.residual == 0.0
        and not report.fallback_sectors
        and equilibrium.purchased is None
        and equilibrium.log_response_index is not None
        and bool(np.all((price == 0) & ~np.signbit(price)))
    )
    if not exact:
        return kept
    count = len(kept.known)
    fields: dict[str, FloatArray | None] = {}
    for f in dataclasses.fields(Equilibrium):
        value = getattr(equilibrium, f.name)
        if value is None or f.name == "spending_shares":
            fields[f.name] = None
            continue
        before = None if kept.equilibrium is None else getattr(kept.equilibrium, f.name)
        whole = np.zeros((count, *value.shape[1:])) if before is None else before.copy()
        whole[sectors] = value
        # read, never written (recall hands out these arrays themselves)
        whole.flags.writeable = False
        fields[f.name] = whole
    known = kept.known.copy()
    known[sectors] = True
    return Kept(known, Equilibrium(**fields))  # type: ignore[arg-type]


def recall(kept: Kept) -> Equilibrium:
    """The kept baseline equilibrium of every sector: the kept arrays themselves, no copy.

    Its rows are meaningful where ``kept.known``; it is read, never written. Without its
    spending shares (a NaN view): only the solver's Jacobian needs them, and a path keeps
    none (:func:`sim.timepath.PeriodSolution`).
    """
    assert kept.equilibrium is not None
    shares = np.broadcast_to(np.float64(np.nan), kept.equilibrium.demand.shape)
    return dataclasses.replace(kept.equilibrium, spending_shares=shares)
