"""Sectors that no drawn parameter touches, solved once for all the draws of a chunk.

A Monte Carlo chunk stacks its draws' sectors draw after draw (:mod:`sim.montecarlo`).
Sector markets are independent, and a sector's numbers do not depend on what else is in
the stack, so a sector whose elasticities, half-life, trend growth and policies are the
same in every draw of the chunk has the same solution in every draw: it is solved in the
first draw only (:func:`kept_sectors`), and the path of the whole stack is the solved
path with that copy put in every draw's place (:func:`spread_path`). In
``seafood-ban-lifted`` the drawn parameters touch seafood and scallops only, so the
export controls' sectors are solved once per chunk instead of once per draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from sim.datatypes import ELASTICITIES
from sim.model import FloatArray
from sim.policy import Target
from sim.processing import Routes
from sim.sector_parts import IntArray
from sim.timepath import ElasticityPaths, PathSolution, PeriodSolution, Segment


def varying_sectors(
    draws: int,
    paths: ElasticityPaths,
    rates: FloatArray,
    policies: Sequence[tuple[Any, Target]],
    numbers: Sequence[str],
) -> np.ndarray:
    """Which of a market's sectors differ between the stacked draws, shape (sector,).

    Parameters
    ----------
    draws : int
    paths : ElasticityPaths
        Stacked: ``draws`` times the sectors.
    rates : ndarray, shape (draws * sector, region)
    policies : sequence of (PolicySpec, Target)
        The stacked policies of both runs and their masks; a number that differs between
        draws is an array with one value per stacked sector.
    numbers : sequence of str
        The names of the policy fields a draw may set.
    """
    n = len(paths.half_life) // draws

    def differs(values: FloatArray) -> np.ndarray:
        per_draw = np.asarray(values).reshape(draws, n, -1)
        return np.asarray((per_draw != per_draw[:1]).any(axis=(0, 2)))

    out = differs(paths.half_life) | differs(rates)
    for run in (paths.short_run, paths.long_run):
        for name in ELASTICITIES:
            out |= differs(run[name])
    for policy, where in policies:
        drawn = [
            getattr(policy, name)
            for name in numbers
            if isinstance(getattr(policy, name), np.ndarray)
        ]
        if any(differs(values).any() for values in drawn):
            cells = where.cells[:n].reshape(n, -1).any(axis=1)
            out |= cells | where.rows[:n].reshape(n, -1).any(axis=1)
    return out


def kept_sectors(varying: np.ndarray, draws: int) -> tuple[IntArray, IntArray]:
    """The stacked sectors to solve, and where each stacked sector's solution is.

    Returns
    -------
    kept : ndarray of int
        Stacked indices solved: every sector of the first draw, then the varying sectors
        of each later draw.
    source : ndarray of int, shape (draws * sector,)
        For each stacked sector, its position in ``kept``: its own, or the first draw's
        copy if it does not vary.
    """
    n = len(varying)
    mine = np.flatnonzero(varying)
    kept = np.concatenate([np.arange(n), *(d * n + mine for d in range(1, draws))])
    source = np.tile(np.arange(n), draws)
    for d in range(1, draws):
        source[d * n + mine] = n + (d - 1) * len(mine) + np.arange(len(mine))
    return kept.astype(np.intp), source.astype(np.intp)


def kept_routes(routes: Routes, kept: IntArray, source: IntArray) -> tuple[Routes, IntArray]:
    """The routes of the kept sectors, and where each stacked route's shares are.

    Parameters
    ----------
    routes : Routes
        Of the whole stack (draw after draw).
    kept, source : ndarray of int
        As :func:`kept_sectors` gives them.
    """
    position = np.full(len(source), -1, dtype=np.intp)
    position[kept] = np.arange(len(kept))
    mine = np.flatnonzero(position[routes.sector] >= 0)
    reduced = Routes(
        position[routes.sector[mine]],
        routes.origin[mine],
        routes.processor[mine],
        routes.destination[mine],
        routes.quantity[mine],
        routes.margin[mine],
        routes.elasticity,
    )
    # A stacked route's shares are those of the solved route of the same number in the
    # sector its solution comes from.
    rank = _rank_in_sector(routes.sector)
    by_key = {
        (int(s), int(k)): i for i, (s, k) in enumerate(zip(reduced.sector, rank[mine], strict=True))
    }
    spread = np.array(
        [by_key[(int(source[s]), int(k))] for s, k in zip(routes.sector, rank, strict=True)],
        dtype=np.intp,
    )
    return reduced, spread


def _rank_in_sector(sector: IntArray) -> IntArray:
    """Each route's number among the routes of its sector, in order."""
    rank = np.zeros(len(sector), dtype=np.intp)
    seen: dict[int, int] = {}
    for i, s in enumerate(sector):
        rank[i] = seen.get(int(s), 0)
        seen[int(s)] = rank[i] + 1
    return rank


def spread_path(
    path: PathSolution,
    baseline: Any,
    source: IntArray,
    routes: Routes | None = None,
    route_source: IntArray | None = None,
    *,
    everything: bool = False,
) -> PathSolution:
    """The path of the whole stack from that of its kept sectors.

    Everything the banded figures read is there; the flow-sized policy arrays, spending
    shares and adjustment offsets, which they do not read, are left out (:func:`_take`)
    unless ``everything`` is asked for.

    Parameters
    ----------
    path : PathSolution
        Solved for the kept sectors.
    baseline : Baseline
        Of the whole stack.
    source : ndarray of int
        Each stacked sector's position in the solved path (:func:`kept_sectors`).
    routes : Routes, optional
        Of the whole stack.
    route_source : ndarray of int, optional
        Each stacked route's position in the solved routes (:func:`kept_routes`).
    """
    cache: dict[int, PeriodSolution] = {}
    unread = _Unread() if not everything else _Unread((), (), (), ())

    def period(p: PeriodSolution) -> PeriodSolution:
        # A quarter the comparison run shares with the scenario stays one object.
        if id(p) not in cache:
            cache[id(p)] = PeriodSolution(
                p.quarter,
                _take(p.elasticities, source, unread.elasticities),
                tuple(_segment(s, source, route_source, unread) for s in p.segments),
                routes if p.routes is not None else None,
            )
        return cache[id(p)]

    return PathSolution(
        baseline,
        path.quarters,
        tuple(period(p) for p in path.scenario),
        tuple(period(p) for p in path.reference),
    )


def _segment(
    segment: Segment, source: IntArray, routes: IntArray | None, unread: _Unread
) -> Segment:
    shares = segment.route_shares
    return replace(
        segment,
        policy=_take(segment.policy, source, unread.policy, unread.optional_policy),
        equilibrium=_take(segment.equilibrium, source, unread.equilibrium),
        route_shares=None if shares is None or routes is None else shares[routes],
    )


@dataclass(frozen=True)
class _Unread:
    """Flow-sized arrays that the banded figures never read.

    The solve reads them, and the welfare totals, computed before the spread; they are not
    copied into every draw's place but left a view of one NaN (no memory), or no optional
    array, so that a stray use shows. Copying them took 70% of the spread (0.10 -> 0.03 s
    for a chunk of 745 draws of the shipped scenario).
    """

    policy: tuple[str, ...] = ("tariff", "export_tax", "trade_cost", "availability")
    optional_policy: tuple[str, ...] = ("quota", "quota_rent", "channel_wedge", "channel_volume")
    equilibrium: tuple[str, ...] = ("spending_shares",)
    elasticities: tuple[str, ...] = ("delivered_offset", "import_offset")


def _take(
    record: Any, index: IntArray, unread: tuple[str, ...] = (), dropped: tuple[str, ...] = ()
) -> Any:
    """A dataclass of per-sector arrays with its sectors taken at ``index``.

    Arrays named in ``unread`` become a view of one NaN of the taken shape; those named in
    ``dropped`` (optional ones) become None.
    """
    arrays: dict[str, Any] = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if not isinstance(value, np.ndarray):
            continue
        if f.name in dropped:
            arrays[f.name] = None
        elif f.name in unread:
            arrays[f.name] = np.broadcast_to(np.float64(np.nan), (len(index), *value.shape[1:]))
        elif value.strides[0] == 0:
            # A broadcast placeholder (a constant of no memory) stays one.
            arrays[f.name] = np.broadcast_to(value[:1], (len(index), *value.shape[1:]))
        else:
            # np.take copies the same rows as value[index], by a faster path.
            arrays[f.name] = np.take(value, index, axis=0)
    return replace(record, **arrays)
