r"""Partial adjustment: each price change is responded to on its own clock.

Buyers and sellers respond to a change in a price with the short-run elasticity on the day
it happens and with the long-run elasticity as it ages. The response to a path of prices
is the sum of the responses to its changes (a distributed lag, Nerlove 1958; Koyck 1954),
the form in which horizon-specific trade elasticities are estimated (Boehm, Levchenko and
Pandalai-Nayar 2023, "The long and short (run) of trade elasticities", AER 113(4)). With
elasticity ``e(a) = e_LR + (e_SR - e_LR) 2^(-a/h)`` at age ``a`` of a change, a log-linear
response to a log price ``d`` is

.. math::

    \sum_k e(t - t_k)\, \Delta d_k = e_{LR} \Big(d(t) - (1 - \rho) Z(t)\Big), \qquad
    Z(t) = \sum_k 2^{-(t - t_k)/h} \Delta d_k, \quad \rho = e_{SR} / e_{LR},

so the model is solved with long-run elasticities at *response prices* ``d - (1 - rho) Z``:
the actual price less the part of its recent changes not yet adjusted to. ``Z``, the
*young* part of the price's changes, halves every half-life and grows by each new change;
it is the only state carried from one period to the next. A price that does not change
adds nothing, so a market whose prices do not move keeps adjusting on its old clock, two
policies that together set the same wedges as one give the same path, and a small change
has a small effect however far other prices have already moved.

Ages count in days: a change on the first day of a period of ``n`` days has age
``n / 2`` at the period's middle, where the period is evaluated. A period never depends
on a later one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.model import Elasticities, Equilibrium, FloatArray

DAYS_PER_QUARTER = 365.25 / 4

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class AdjustmentSpeeds:
    """Long-run elasticities, short- to long-run ratios and half-lives.

    Attributes
    ----------
    long_run : Elasticities
    delivered_ratio, index_ratio : ndarray, shape (sector, destination)
        ``sigma_SR / sigma_LR`` and ``eps_SR / eps_LR``.
    supply_ratio : ndarray, shape (sector, origin)
        ``eta_SR / eta_LR``.
    half_life_days : ndarray, shape (sector,)
    import_ratio : ndarray, shape (sector, destination), optional
        ``sigma_import_SR / sigma_import_LR`` when demand is nested: the clock on which
        buyers substitute among import origins (``delivered_ratio`` is then the clock of
        the choice between home goods and imports).
    """

    long_run: Elasticities
    delivered_ratio: FloatArray
    index_ratio: FloatArray
    supply_ratio: FloatArray
    half_life_days: FloatArray
    import_ratio: FloatArray | None = None


def speeds(
    short_run: Elasticities, long_run: Elasticities, half_life: FloatArray
) -> AdjustmentSpeeds:
    """Ratios of short- to long-run elasticities; 1 (no lag) where either is infinite.

    Parameters
    ----------
    short_run, long_run : Elasticities
    half_life : ndarray, shape (sector,)
        Half-lives in quarters.
    """

    def ratio(short: FloatArray, long: FloatArray) -> FloatArray:
        finite = np.isfinite(short) & np.isfinite(long) & (long != 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(finite, short / np.where(finite, long, 1.0), 1.0)

    import_ratio = None
    if long_run.sigma_import is not None:
        assert short_run.sigma_import is not None
        import_ratio = ratio(short_run.sigma_import, long_run.sigma_import)
    return AdjustmentSpeeds(
        long_run.static,
        ratio(short_run.sigma, long_run.sigma),
        ratio(short_run.eps, long_run.eps),
        ratio(short_run.eta, long_run.eta),
        np.asarray(half_life, dtype=float) * DAYS_PER_QUARTER,
        import_ratio,
    )


@dataclass(frozen=True)
class AdjustmentState:
    """What a path remembers of its past prices.

    Attributes
    ----------
    since : ndarray of int, shape (sector,), or None
        First day (proleptic ordinal, :meth:`datetime.date.toordinal`) of the last period
        solved for each sector (``None`` before the first). Per sector, because a quarter
        is cut for each sector only where its own policy state changes.
    delivered, index, price : ndarray
        Last log delivered prices (sector, origin, destination), log response price
        indices (sector, destination) and log producer prices (sector, origin).
    young_delivered, young_index, young_price : ndarray
        ``Z`` of each, as of ``since``.
    """

    since: IntArray | None
    delivered: FloatArray
    index: FloatArray
    price: FloatArray
    young_delivered: FloatArray
    young_index: FloatArray
    young_price: FloatArray

    @classmethod
    def at_rest(cls, shape: tuple[int, int, int]) -> AdjustmentState:
        """A market at its baseline: no change under way."""
        s, n, _ = shape
        return cls(
            None,
            np.zeros(shape),
            np.zeros((s, n)),
            np.zeros((s, n)),
            np.zeros(shape),
            np.zeros((s, n)),
            np.zeros((s, n)),
        )


def _decay(days: float | NDArray[np.number], half_life_days: FloatArray) -> FloatArray:
    return np.asarray(0.5 ** (days / half_life_days))


def period_elasticities(
    speeds: AdjustmentSpeeds, state: AdjustmentState, first: dt.date, end: dt.date
) -> Elasticities:
    """Long-run elasticities with the adjustment under way over ``[first, end)``.

    Parameters
    ----------
    speeds : AdjustmentSpeeds
    state : AdjustmentState
        After the periods before ``first``.
    first, end : date
        The period's first day and the day after its last.
    """
    middle = (end - first).days / 2.0
    fresh = _decay(middle, speeds.half_life_days)  # weight of a change made on ``first``
    if state.since is None:
        carried = np.zeros_like(fresh)
    else:
        carried = _decay((first.toordinal() - state.since) + middle, speeds.half_life_days)

    def weights(
        ratio: FloatArray, young: FloatArray, last: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        lag = 1.0 - ratio
        extra = (1,) * (young.ndim - 1)
        f = fresh.reshape(-1, *extra)
        c = carried.reshape(-1, *extra)
        if young.ndim == 3:
            lag3 = lag[:, None, :]
            return 1.0 - lag * fresh[:, None], -lag3 * (c * young - f * last)
        return 1.0 - lag * f, -lag * (c * young - f * last)

    r, k = weights(speeds.delivered_ratio, state.young_delivered, state.delivered)
    rq, kq = weights(speeds.index_ratio, state.young_index, state.index)
    q, g = weights(speeds.supply_ratio, state.young_price, state.price)
    long = speeds.long_run
    rm, km = None, None
    if speeds.import_ratio is not None:
        # Same price changes, same clock state: only the share not yet responded to differs.
        rm, km = weights(speeds.import_ratio, state.young_delivered, state.delivered)
    return Elasticities(
        long.sigma, long.eps, long.eta, r, k, rq, kq, q, g, long.sigma_import, rm, km
    )


def advance(
    speeds: AdjustmentSpeeds,
    state: AdjustmentState,
    first: dt.date,
    log_wedge: FloatArray,
    equilibrium: Equilibrium,
) -> AdjustmentState:
    """The state after a period starting on ``first`` settled at ``equilibrium``.

    Parameters
    ----------
    speeds : AdjustmentSpeeds
    state : AdjustmentState
    first : date
    log_wedge : ndarray, shape (sector, origin, destination)
        Log wedge ratio of the period's policy state (:meth:`sim.model.Policy.wedge`).
    equilibrium : Equilibrium
    """
    price, index, keep = _settled(speeds, state, first, equilibrium)
    with np.errstate(invalid="ignore"):
        delivered = price[:, :, None] + log_wedge
    delivered = np.where(np.isfinite(delivered), delivered, state.delivered)
    return AdjustmentState(
        np.full(speeds.half_life_days.shape, first.toordinal()),
        delivered,
        index,
        price,
        keep[:, None, None] * state.young_delivered + (delivered - state.delivered),
        keep[:, None] * state.young_index + (index - state.index),
        keep[:, None] * state.young_price + (price - state.price),
    )


def _settled(
    speeds: AdjustmentSpeeds, state: AdjustmentState, first: dt.date, equilibrium: Equilibrium
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The log producer prices and response index a period leaves, and the old part kept."""
    price = equilibrium.log_price
    # A producer with no market left has no price to respond to: its last one stands.
    price = np.where(np.isfinite(price), price, state.price)
    index = equilibrium.log_response_index
    index = state.index if index is None else np.where(np.isfinite(index), index, state.index)
    if state.since is None:
        keep = np.zeros_like(speeds.half_life_days)
    else:
        keep = _decay(first.toordinal() - state.since, speeds.half_life_days)
    return price, index, keep


def advance_at_baseline(
    speeds: AdjustmentSpeeds, state: AdjustmentState, first: dt.date, equilibrium: Equilibrium
) -> AdjustmentState:
    """:func:`advance` of sectors at their baseline (:mod:`sim.at_rest`), the same bits.

    There the remembered delivered prices and their young part are 0 (of either sign),
    the log producer prices are +0 and the log wedge is +0: the new delivered prices are
    ``+0 + +0 = +0`` and their young part ``keep * (±0) + (+0 - (±0)) = +0`` for any
    finite ``keep``. Those flow-sized arrays are a read-only view of one +0 (no memory)
    instead of computed; the others are computed as :func:`advance` computes them.

    Parameters
    ----------
    speeds : AdjustmentSpeeds
    state : AdjustmentState
        Every ``delivered`` and ``young_delivered`` value 0; they are not read (their
        shape is that of the prices' with every region a destination).
    first : date
    equilibrium : Equilibrium
        Log producer prices all +0.
    """
    price, index, keep = _settled(speeds, state, first, equilibrium)
    sectors, regions = state.price.shape
    zero = np.broadcast_to(np.float64(0.0), (sectors, regions, regions))
    return AdjustmentState(
        np.full(speeds.half_life_days.shape, first.toordinal()),
        zero,
        index,
        price,
        zero,
        keep[:, None] * state.young_index + (index - state.index),
        keep[:, None] * state.young_price + (price - state.price),
    )
