"""Policy instruments -> arrays of wedges, availability and shifters.

Each instrument is one function with the same signature, registered in
:data:`INSTRUMENTS`. A quarter is split into spans at the days policies start or end; in
each span a policy is either in force or not, scaled by its phase-in ramp. Trade
instruments never apply to home-market sales.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from sim.model import Baseline, BoolArray, FloatArray, Policy
from sim.policytypes import DEFAULT_RENT as DEFAULT_RENT
from sim.policytypes import RENT_ALIASES
from sim.quarters import Quarter

Span = tuple[dt.date, dt.date]


@dataclass
class _State:
    """The arrays a policy state is assembled in.

    The six given arrays may be shared (those of the state of no policy): an instrument
    writes in :meth:`own`'s copy of one, made the first time it is written. A ban on one
    sector's flows then copies the availability array alone, and the state shares its
    other arrays with the state of no policy (less memory, and comparing them is a check
    of identity: :func:`sim.sector_parts.changed_rows`).
    """

    tariff: FloatArray
    export_tax: FloatArray
    trade_cost: FloatArray
    availability: FloatArray
    demand: FloatArray
    supply: FloatArray
    quota: FloatArray | None = None
    quota_rent: NDArray[np.int8] | None = None
    base_flows: FloatArray | None = None
    purchase_volume: FloatArray | None = None
    purchase_spending: FloatArray | None = None
    owned: set[str] = field(default_factory=set)

    def own(self, name: str) -> FloatArray:
        """Array ``name`` (one of the six given), copied if it is not yet this state's own."""
        if name not in self.owned:
            setattr(self, name, getattr(self, name).copy())
            self.owned.add(name)
        array: FloatArray = getattr(self, name)
        return array


_GIVEN = ("tariff", "export_tax", "trade_cost", "availability", "demand", "supply")
# The arrays of one value per flow; only the trade instruments write them, and they write
# nothing else (the shocks and purchases write arrays of one value per sector and region).
_FLOW_ARRAYS = ("tariff", "export_tax", "trade_cost", "availability", "quota", "quota_rent")
TRADE_INSTRUMENTS = frozenset({"ban", "export_control", "tariff", "trade_cost", "quota"})


class SharedFlowArrays:
    """The flow-sized arrays of a path's policy states, shared by states that agree on them.

    A state's flow-sized arrays (:data:`_FLOW_ARRAYS`) are a function of the trade
    policies in force and their intensities alone (and of the state of no policy and the
    flows a quota's volume is a share of). A policy in force quarter after quarter at
    full strength gives the same arrays every quarter: they are built once and shared,
    read-only, so that building them again, and comparing states that share them
    (:func:`sim.sector_parts.changed_rows`), is skipped. Kept are the arrays of the
    quarter being built and of the one before (:meth:`next_quarter`): a path holds no
    more of them than its quarters in turn do.
    """

    def __init__(self) -> None:
        self._before: dict[tuple[Any, ...], tuple[Any, dict[str, Any]]] = {}
        self._now: dict[tuple[Any, ...], tuple[Any, dict[str, Any]]] = {}

    def next_quarter(self) -> None:
        """Forget the arrays no state of the last two quarters used."""
        self._before, self._now = self._now, {}

    def get(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        """The arrays kept for ``key``, if any."""
        found = self._now.get(key) or self._before.get(key)
        if found is None:
            return None
        self._now[key] = found
        return found[1]

    def put(self, key: tuple[Any, ...], owners: Any, arrays: dict[str, Any]) -> None:
        """Keep ``arrays``, made read-only, for ``key``.

        ``owners`` are the objects whose identities ``key`` holds: kept alive with the
        arrays, so that no other object takes one of their identities meanwhile.
        """
        for array in arrays.values():
            if array is not None:
                array.flags.writeable = False
        self._now[key] = (owners, arrays)


QUOTA_RENT_CODES = {"importer": 0, "exporter": 1, "none": 2}


def rent_holder(policy: PolicyLike) -> str:
    """``importer``, ``exporter`` or ``none``: who earns the policy's rent."""
    holder = policy.rent or DEFAULT_RENT.get(policy.type, "none")
    return RENT_ALIASES.get(holder, holder)


class PolicyLike(Protocol):
    """The fields instruments read (see :class:`sim.scenario.PolicySpec`)."""

    @property
    def type(self) -> str: ...  # noqa: D102
    @property
    def start(self) -> dt.date: ...  # noqa: D102
    @property
    def end(self) -> dt.date | None: ...  # noqa: D102
    @property
    def phase_in(self) -> int: ...  # noqa: D102
    @property
    def coverage(self) -> float: ...  # noqa: D102
    @property
    def rate(self) -> float | None: ...  # noqa: D102
    @property
    def increase(self) -> float | None: ...  # noqa: D102
    @property
    def tax_equivalent(self) -> float: ...  # noqa: D102
    @property
    def cost(self) -> float: ...  # noqa: D102
    @property
    def change(self) -> float: ...  # noqa: D102
    @property
    def share(self) -> float: ...  # noqa: D102
    @property
    def volume(self) -> float | None: ...  # noqa: D102
    @property
    def spending(self) -> float | None: ...  # noqa: D102
    @property
    def rent(self) -> str: ...  # noqa: D102


def intensity(policy: PolicyLike, quarter: Quarter, span: Span | None = None) -> float:
    """Share of ``policy`` in force over a span of ``quarter``, times its phase-in ramp.

    Parameters
    ----------
    policy : PolicySpec
    quarter : Quarter
    span : (date, date), optional
        First day and exclusive end of a part of the quarter; the whole quarter by default.

    Returns
    -------
    float
        In [0, 1]. With ``phase_in = n`` the ramp is ``k / n`` in the ``k``-th quarter
        (counting the start quarter as the first), then 1.
    """
    first, end = span if span is not None else (quarter.first_day, quarter.end_day)
    days = (end - first).days
    lo, hi = max(policy.start, first), end if policy.end is None else min(policy.end, end)
    share = max((hi - lo).days, 0) / days
    if share == 0.0 or policy.phase_in <= 0:
        return share
    step = quarter - Quarter.containing(policy.start) + 1
    return share * min(1.0, step / policy.phase_in)


def spans(quarter: Quarter, policies: Sequence[PolicyLike]) -> list[tuple[Span, float]]:
    """Split a quarter at the days policies start or end.

    Parameters
    ----------
    quarter : Quarter
    policies : sequence of PolicySpec

    Returns
    -------
    list of ((first day, exclusive end), weight)
        Consecutive parts of the quarter, each with its share of the quarter's days; one
        part when no policy starts or ends inside the quarter.
    """
    cuts = {quarter.first_day, quarter.end_day}
    for policy in policies:
        for day in (policy.start, policy.end):
            if day is not None and quarter.first_day < day < quarter.end_day:
                cuts.add(day)
    days = sorted(cuts)
    return [((a, b), (b - a).days / quarter.days) for a, b in zip(days, days[1:], strict=False)]


def _at(value: Any, mask: BoolArray) -> Any:
    """A policy's number at the masked cells.

    A number applies everywhere; an array holds one value per (stacked) sector, as when a
    Monte Carlo chunk solves many draws at once.
    """
    if np.ndim(value) == 0:
        return value
    shape = (-1,) + (1,) * (mask.ndim - 1)
    return np.broadcast_to(np.reshape(value, shape), mask.shape)[mask]


def _ban(state: _State, cells: BoolArray, rows: BoolArray, policy: PolicyLike, phi: float) -> None:
    state.own("availability")[cells] *= 1.0 - _at(policy.coverage, cells) * phi


def _export_control(
    state: _State, cells: BoolArray, rows: BoolArray, policy: PolicyLike, phi: float
) -> None:
    state.own("availability")[cells] *= 1.0 - _at(policy.coverage, cells) * phi
    # The licence cost is booked where its rent goes: a compliance cost nobody earns is a
    # trade cost, a licence fee the exporting state collects an export tax, one the
    # importing state collects a tariff.
    holder = {"none": "trade_cost", "exporter": "export_tax", "importer": "tariff"}
    rates = state.own(holder[rent_holder(policy)])
    rates[cells] = (1.0 + rates[cells]) * (1.0 + _at(policy.tax_equivalent, cells) * phi) - 1.0


def _tariff(
    state: _State, cells: BoolArray, rows: BoolArray, policy: PolicyLike, phi: float
) -> None:
    tariff = state.own("tariff")
    current = tariff[cells]
    if policy.rate is not None:
        target = _at(policy.rate, cells)
    else:
        target = current + _at(0.0 if policy.increase is None else policy.increase, cells)
    tariff[cells] = np.maximum(current + phi * (target - current), 0.0)


def _trade_cost(
    state: _State, cells: BoolArray, rows: BoolArray, policy: PolicyLike, phi: float
) -> None:
    cost = state.own("trade_cost")
    cost[cells] = (1.0 + cost[cells]) * (1.0 + _at(policy.cost, cells) * phi) - 1.0


def _demand_shock(
    state: _State, cells: BoolArray, rows: BoolArray, policy: PolicyLike, phi: float
) -> None:
    state.own("demand")[rows] *= 1.0 + _at(policy.change, rows) * phi


def _supply_shock(
    state: _State, cells: BoolArray, rows: BoolArray, policy: PolicyLike, phi: float
) -> None:
    state.own("supply")[rows] *= 1.0 + _at(policy.change, rows) * phi


Instrument = Callable[[_State, BoolArray, BoolArray, PolicyLike, float], None]


def _quota(
    state: _State, cells: BoolArray, rows: BoolArray, policy: PolicyLike, phi: float
) -> None:
    # Phase-in lowers the ceiling from the baseline quantity to its target share.
    if state.quota is None:
        state.quota = np.full(cells.shape, np.inf)
        state.quota_rent = np.zeros(cells.shape, dtype=np.int8)
    assert state.quota_rent is not None
    if policy.volume is None:
        share: FloatArray | float = _at(policy.share, cells)
    else:
        assert state.base_flows is not None
        base = state.base_flows[cells]
        volume = np.broadcast_to(_at(policy.volume, cells), base.shape)
        share = np.divide(volume, base, out=np.full(base.shape, np.inf), where=base > 0)
    ceiling = 1.0 - phi * (1.0 - np.asarray(share, dtype=float))
    closed = np.zeros(cells.shape, dtype=bool)
    closed[cells] = ceiling <= 0.0  # a zero quota is a ban: no trade to earn a rent on
    if closed.any():
        state.own("availability")[closed] = 0.0
    state.quota[cells] = np.minimum(state.quota[cells], np.maximum(ceiling, 0.0))
    state.quota[closed] = np.inf
    state.quota_rent[cells] = QUOTA_RENT_CODES[rent_holder(policy)]


def _purchase(
    state: _State, cells: BoolArray, rows: BoolArray, policy: PolicyLike, phi: float
) -> None:
    # Phase-in scales the amount bought; several purchases of one output add up.
    if policy.volume is not None:
        if state.purchase_volume is None:
            state.purchase_volume = np.zeros(rows.shape)
        state.purchase_volume[rows] += _at(policy.volume, rows) * phi
    else:
        if state.purchase_spending is None:
            state.purchase_spending = np.zeros(rows.shape)
        state.purchase_spending[rows] += _at(policy.spending or 0.0, rows) * phi


INSTRUMENTS: dict[str, Instrument] = {
    "ban": _ban,
    "export_control": _export_control,
    "tariff": _tariff,
    "trade_cost": _trade_cost,
    "demand_shock": _demand_shock,
    "supply_shock": _supply_shock,
    "quota": _quota,
    "purchase": _purchase,
}


@dataclass(frozen=True)
class Target:
    """Where a policy applies, as boolean masks.

    Attributes
    ----------
    cells : ndarray of bool, shape (sector, origin, destination)
        Cross-border flows it covers.
    rows : ndarray of bool, shape (sector, region)
        Sector-regions it shifts (importers for demand shocks, exporters for supply).
    """

    cells: BoolArray
    rows: BoolArray


def target(
    policy_type: str,
    sectors: Sequence[str],
    exporters: Sequence[str],
    importers: Sequence[str],
    sector_labels: Sequence[str],
    region_labels: Sequence[str],
) -> Target:
    """Boolean masks of the flows and sector-regions a policy applies to."""
    s = np.isin(np.array(sector_labels), list(sectors))
    i = np.isin(np.array(region_labels), list(exporters))
    j = np.isin(np.array(region_labels), list(importers))
    n = len(region_labels)
    cells = s[:, None, None] & i[None, :, None] & j[None, None, :] & ~np.eye(n, dtype=bool)[None]
    regions = j if policy_type == "demand_shock" else i
    return Target(cells, s[:, None] & regions[None, :])


def policy_state(
    baseline: Baseline,
    policies: Sequence[tuple[PolicyLike, Target]],
    quarter: Quarter,
    demand_growth: FloatArray | None = None,
    span: Span | None = None,
    *,
    recorded: FloatArray | None = None,
    none: Policy | None = None,
    flow_arrays: SharedFlowArrays | None = None,
) -> Policy:
    """Assemble the policy state of a quarter, or of one span of it.

    Parameters
    ----------
    baseline : Baseline
    policies : sequence of (policy, Target)
        Applied in order, so a later tariff on the same flow acts on the earlier one.
    quarter : Quarter
    demand_growth : ndarray, shape (sector, region), optional
        Trend multiplier of demand in this quarter.
    span : (date, date), optional
        Part of the quarter (see :func:`spans`); the whole quarter by default.
    recorded : ndarray, shape (sector, origin, destination), optional
        The flows a quota's volume is a share of: the baseline's by default, the recorded
        flows when processing routes sit in the baseline's cells.
    none : Policy, optional
        The state of no policy (:meth:`sim.model.Policy.none` of ``baseline``). When given,
        the state shares every array of it that no policy in force writes (demand too,
        when there is no trend growth): a path holds one set of the arrays its policies
        leave alone, and comparing states is cheap where they share them. Its arrays are
        read, never written.
    flow_arrays : SharedFlowArrays, optional
        With ``none``: where states of the same trade policies at the same intensities
        find their flow-sized arrays (the same numbers, built once).

    Returns
    -------
    Policy
    """
    if none is not None and all(intensity(p, quarter, span) <= 0.0 for p, _ in policies):
        demand = none.demand if demand_growth is None else none.demand * demand_growth
        return replace(none, demand=demand)
    shared = none is not None
    if none is None:
        none = Policy.none(baseline)
    state = _State(
        none.tariff,
        none.export_tax,
        none.trade_cost,
        none.availability,
        none.demand,
        none.supply,
        base_flows=baseline.flows if recorded is None else recorded,
        owned=set() if shared else set(_GIVEN),
    )
    if demand_growth is not None:
        state.demand = state.demand * demand_growth
        state.owned.add("demand")
    in_force = [
        (policy, where, phi)
        for policy, where in policies
        if (phi := intensity(policy, quarter, span)) > 0.0
    ]
    if flow_arrays is not None and shared:
        trade = tuple(item for item in in_force if item[0].type in TRADE_INSTRUMENTS)
        key = (id(none), id(state.base_flows), *((id(p), id(w), phi) for p, w, phi in trade))
        arrays = flow_arrays.get(key)
        if arrays is None:
            for policy, where, phi in trade:
                INSTRUMENTS[policy.type](state, where.cells, where.rows, policy, phi)
            arrays = {name: getattr(state, name) for name in _FLOW_ARRAYS}
            flow_arrays.put(key, (none, state.base_flows, trade), arrays)
        for name, array in arrays.items():
            setattr(state, name, array)
        # the other instruments write other arrays: each array still sees its policies in
        # the given order
        in_force = [item for item in in_force if item[0].type not in TRADE_INSTRUMENTS]
    for policy, where, phi in in_force:
        INSTRUMENTS[policy.type](state, where.cells, where.rows, policy, phi)
    return Policy(
        state.tariff,
        state.export_tax,
        state.trade_cost,
        state.availability,
        state.demand,
        state.supply,
        state.quota,
        state.quota_rent,
        state.purchase_volume,
        state.purchase_spending,
    )
