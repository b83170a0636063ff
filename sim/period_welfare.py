"""A quarter's day-weighted welfare parts, evaluated only where a sector is not at rest.

A sector at its baseline all quarter (:attr:`sim.timepath.PeriodSolution.resting`) has,
in every part of every such quarter, the policy rows of no policy and the kept baseline
equilibrium rows (:mod:`sim.at_rest`), and the path's long-run elasticities. Its welfare
parts (:func:`sim.welfare.welfare`, every one a function of its own rows only) are then
the same bits in every such part, of either path. They are zeros, but not all of one
sign (the consumer surplus is a zero signed as ``1 - eps``), and the tariff revenue is a
zero only because the kept demand is the baseline's flows to the bit: so they are
evaluated, not assumed, once, on the rows of the first part a sector rests in, and taken
from there; only the other sectors' rows are evaluated in each part.

The variety effect of a row depends on one branch taken for the whole state (whether every
variety of every sector is available, :func:`sim.welfare.every_variety`): a resting
sector's rows are kept for each branch, and each part takes those of its own branch, so
that the numbers are those of evaluating every sector together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.daymean import day_mean
from sim.model import Baseline, Elasticities, FloatArray
from sim.sector_parts import IntArray, rows
from sim.welfare import every_variety, variety_effect, welfare

if TYPE_CHECKING:
    from sim.timepath import PeriodSolution, Segment


class RestingWelfare:
    """The welfare parts of sectors at rest, evaluated once per sector and branch.

    One instance serves the quarters of the paths of one baseline and one set of long-run
    elasticities (a path's ``period.elasticities``); a quarter of another is evaluated
    whole.
    """

    def __init__(self) -> None:
        self._of: tuple[Baseline, Elasticities] | None = None
        self._known: dict[bool, np.ndarray] = {}
        self._values: dict[bool, dict[str, FloatArray]] = {}

    def serves(self, baseline: Baseline, elasticities: Elasticities) -> bool:
        """Whether this instance holds rows of that baseline and those elasticities."""
        if self._of is None:
            self._of = (baseline, elasticities)
        return self._of[0] is baseline and self._of[1] is elasticities

    def parts(
        self,
        baseline: Baseline,
        segment: Segment,
        elasticities: Elasticities,
        sectors: IntArray,
        every: bool,
    ) -> dict[str, FloatArray]:
        """The welfare parts of resting ``sectors`` in a part, shape (len(sectors), region)."""
        count = segment.policy.tariff.shape[0]
        known = self._known.setdefault(every, np.zeros(count, dtype=bool))
        new = sectors[~known[sectors]]
        if len(new):
            other = self._known.get(not every)
            if other is not None and other[new].all():
                # only the variety effect depends on the branch
                values = self._values[not every]
                found = {key: value[new] for key, value in values.items()}
                found["variety_effect"] = _rows_variety(baseline, segment, elasticities, new, every)
            else:
                found = _rows_welfare(baseline, segment, elasticities, new, every)
            values = self._values.setdefault(
                every, {key: np.zeros((count, *v.shape[1:])) for key, v in found.items()}
            )
            for key, value in found.items():
                values[key][new] = value
            known[new] = True
        return {key: value[sectors] for key, value in self._values[every].items()}


def period_welfare(
    baseline: Baseline, period: PeriodSolution, resting: RestingWelfare | None = None
) -> dict[str, FloatArray]:
    """Day-weighted welfare parts of one quarter, annual rates, each shape (sector, region).

    Parameters
    ----------
    baseline : Baseline
    period : PeriodSolution
    resting : RestingWelfare, optional
        Where the parts of sectors at rest are kept from one quarter to the next; without
        it every sector is evaluated. The numbers are the same.
    """
    idle = period.resting
    if resting is None or idle is None or not idle.any():
        return _weighted(
            [
                (seg.weight, welfare(baseline, seg.policy, period.elasticities, seg.equilibrium))
                for seg in period.segments
            ]
        )
    if not resting.serves(baseline, period.elasticities):
        return period_welfare(baseline, period)
    active, still = np.flatnonzero(~idle), np.flatnonzero(idle)
    mine = baseline.sectors(active), rows(period.elasticities, active)
    parts = []
    for seg in period.segments:
        policy, equilibrium = rows(seg.policy, active), rows(seg.equilibrium, active)
        # A resting row has every variety and a price of 0: the whole state's branch is
        # that of the other rows.
        every = every_variety(policy, equilibrium)
        moving = welfare(mine[0], policy, mine[1], equilibrium, every)
        whole = {}
        for key, value in resting.parts(baseline, seg, period.elasticities, still, every).items():
            out = np.empty((len(idle), *value.shape[1:]))
            out[still] = value
            out[active] = moving[key]
            whole[key] = out
        parts.append((seg.weight, whole))
    return _weighted(parts)


def _rows_welfare(
    baseline: Baseline,
    segment: Segment,
    elasticities: Elasticities,
    sectors: IntArray,
    every: bool,
) -> dict[str, FloatArray]:
    # Every part is computed sector by sector: the rows of the whole state's parts are
    # those of the sectors' own rows, and no copy of the flow-sized rows is made (at 141
    # regions x 65 sectors, 30 of a branch's 45-65 ms).
    parts = welfare(baseline, segment.policy, elasticities, segment.equilibrium, every)
    return {key: value[sectors] for key, value in parts.items()}


def _rows_variety(
    baseline: Baseline,
    segment: Segment,
    elasticities: Elasticities,
    sectors: IntArray,
    every: bool,
) -> FloatArray:
    with np.errstate(divide="ignore"):
        whole = variety_effect(baseline, segment.policy, elasticities, segment.equilibrium, every)
    return whole[sectors]


def _weighted(parts: list[tuple[float, dict[str, FloatArray]]]) -> dict[str, FloatArray]:
    return {key: day_mean([(w, p[key]) for w, p in parts]) for key in parts[0][1]}
