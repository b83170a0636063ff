"""Each sector's own parts of a quarter: cut only where that sector's policy state changes.

Sectors are separate markets, so a day on which one sector's policy starts or ends is no
day of change for another: its quarter is solved in one piece (or at its own days), and
the day-weighted results of a sector never depend on the policies of the others. Sectors
with the same days of change are solved together, on the sector rows of the arrays.

A part's state holds ``None`` for an instrument not in force anywhere (no quota, no
purchase); for one sector, ``None`` and the instrument's neutral value (an infinite quota,
a purchase of zero) are the same state.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from sim.model import Policy, frozen
from sim.policy import Span
from sim.processing import Routes

IntArray = NDArray[np.intp]

NEUTRAL: dict[str, float] = {
    "quota": np.inf,
    "quota_rent": 0,
    "purchase_volume": 0.0,
    "purchase_spending": 0.0,
    "channel_wedge": 1.0,
    "channel_volume": 1.0,
}
"""The value of an optional policy array that changes nothing, by field name."""


@dataclass(frozen=True)
class SectorGroup:
    """Sectors cut at the same days of a quarter.

    Attributes
    ----------
    sectors : ndarray of int or None
        The sectors, in increasing order; ``None`` for all of them.
    parts : tuple of (int, int)
        Each own part as the range ``[first, end)`` of the quarter's parts it spans.
    """

    sectors: IntArray | None
    parts: tuple[tuple[int, int], ...]


def sector_groups(states: Sequence[Policy]) -> tuple[SectorGroup, ...]:
    """Group sectors by the parts of a quarter at which their own policy state changes.

    Parameters
    ----------
    states : sequence of Policy
        The policy states of a quarter's consecutive parts.

    Returns
    -------
    tuple of SectorGroup
        One group of all sectors (``sectors=None``) when they all change at the same parts.
    """
    count = len(states)
    if count == 1:
        return (SectorGroup(None, ((0, 1),)),)
    changes = np.stack(
        [changed_rows(a, b) for a, b in zip(states[:-1], states[1:], strict=True)], axis=1
    )
    patterns, inverse = np.unique(changes, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    groups = []
    for k, pattern in enumerate(patterns):
        bounds = [0, *(np.flatnonzero(pattern) + 1).tolist(), count]
        parts = tuple(zip(bounds[:-1], bounds[1:], strict=True))
        sectors = None if len(patterns) == 1 else np.flatnonzero(inverse == k)
        groups.append(SectorGroup(sectors, parts))
    return tuple(groups)


def changed_rows(a: Policy, b: Policy) -> NDArray[np.bool_]:
    """Whether each sector's state differs between two policy states, shape (sector,).

    An optional array absent from one state is its neutral value (:data:`NEUTRAL`) there.
    """
    changed = np.zeros(a.tariff.shape[0], dtype=bool)
    for f in dataclasses.fields(Policy):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if x is y:  # one array (states that share their arrays): no row differs
            continue
        if x is None or y is None:
            x, y = (
                (np.full_like(y, NEUTRAL[f.name]), y)
                if x is None
                else (x, np.full_like(x, NEUTRAL[f.name]))
            )
        changed |= _rows_differ(x, y)
    return changed


# Which rows of two read-only arrays differ, by the arrays' identities: the flow-sized
# arrays of policy states are shared quarter after quarter (sim.policy.SharedFlowArrays),
# and each quarter compares them with the state of no policy and the other run's again.
_DIFFERING: dict[tuple[int, int], tuple[Any, Any, NDArray[np.bool_]]] = {}
_DIFFERING_KEPT = 64


def _rows_differ(x: NDArray[Any], y: NDArray[Any]) -> NDArray[np.bool_]:
    """Whether each row (first axis) of ``x`` differs from that of ``y``.

    Found once for two read-only arrays (:func:`sim.model.frozen`) while both live.
    """
    known = frozen(x) and frozen(y)
    if known:
        found = _DIFFERING.get((id(x), id(y)))
        if found is not None and found[0]() is x and found[1]() is y:
            return found[2]
    differ = np.asarray(x != y)
    rows = np.asarray(differ.reshape(differ.shape[0], -1).any(axis=1))
    if known:
        if len(_DIFFERING) >= _DIFFERING_KEPT:
            for key, (a, b, _) in list(_DIFFERING.items()):
                if a() is None or b() is None:
                    _DIFFERING.pop(key, None)
            if len(_DIFFERING) >= _DIFFERING_KEPT:
                _DIFFERING.clear()
        rows.flags.writeable = False
        _DIFFERING[id(x), id(y)] = (weakref.ref(x), weakref.ref(y), rows)
    return rows


def own_spans(spans: Sequence[Span], group: SectorGroup) -> tuple[Span, ...]:
    """The days of a group's own parts, from the days of the quarter's parts."""
    return tuple((spans[first][0], spans[end - 1][1]) for first, end in group.parts)


def same_own_parts(
    mine: Sequence[tuple[Span, Policy]],
    my_groups: Sequence[SectorGroup],
    theirs: Sequence[tuple[Span, Policy]],
    their_groups: Sequence[SectorGroup],
    count: int,
) -> NDArray[np.bool_]:
    """Whether each sector has the same own parts in two runs of a quarter, shape (sector,).

    Same own parts: the same days, and in each the same policy rows with the same optional
    arrays present (a state's optional arrays are present for all its sectors or none, and
    a solve keeps what it was given, so presence is part of what the two runs share).

    Parameters
    ----------
    mine, theirs : sequence of (span, Policy)
        Each run's quarter parts: their days and policy states.
    my_groups, their_groups : sequence of SectorGroup
        Each run's groups of sectors (:func:`sector_groups` of its states).
    count : int
        Number of sectors.
    """
    same = np.zeros(count, dtype=bool)
    differ: dict[tuple[int, int], NDArray[np.bool_]] = {}
    for mine_group in my_groups:
        mine_spans = own_spans([span for span, _ in mine], mine_group)
        for their_group in their_groups:
            if own_spans([span for span, _ in theirs], their_group) != mine_spans:
                continue
            both = _common(mine_group.sectors, their_group.sectors, count)
            changed = np.zeros(len(both), dtype=bool)
            for (first, _), (other, _) in zip(mine_group.parts, their_group.parts, strict=True):
                if (first, other) not in differ:
                    a, b = mine[first][1], theirs[other][1]
                    differ[first, other] = (
                        changed_rows(a, b)
                        if _presence(a) == _presence(b)
                        else np.ones(count, dtype=bool)
                    )
                changed |= differ[first, other][both]
            same[both] = ~changed
    return same


def _common(a: IntArray | None, b: IntArray | None, count: int) -> IntArray:
    everyone = np.arange(count)
    return np.intersect1d(everyone if a is None else a, everyone if b is None else b)


def _presence(state: Policy) -> tuple[bool, ...]:
    return tuple(getattr(state, f.name) is None for f in dataclasses.fields(Policy))


_R = TypeVar("_R")


def rows(record: _R, sectors: IntArray | None, skip: tuple[str, ...] = ()) -> _R:
    """A dataclass of per-sector arrays (nested ones included) for some sectors only.

    Every array's first axis is the sector; ``sectors=None`` returns ``record`` itself.
    Top-level fields named in ``skip`` are not copied: they hold an array of no columns,
    shape (sector, 0), for a caller that does not read them.
    """
    if skip:
        nothing = np.empty((len(_first_array(record)), 0))
        record = dataclasses.replace(record, **dict.fromkeys(skip, nothing))  # type: ignore[type-var]
    if sectors is None:
        return record
    return _rows_at(record, row_index(sectors))


def _first_array(record: Any) -> NDArray[Any]:
    return next(
        value
        for f in dataclasses.fields(record)
        if isinstance(value := getattr(record, f.name), np.ndarray)
    )


def _rows_at(record: _R, at: IntArray | slice) -> _R:
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(record):  # type: ignore[arg-type]
        value = getattr(record, f.name)
        if isinstance(value, np.ndarray):
            changes[f.name] = value[at].copy() if isinstance(at, slice) else value[at]
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes[f.name] = _rows_at(value, at)
    return dataclasses.replace(record, **changes)  # type: ignore[type-var]


def gather(
    pieces: Sequence[tuple[IntArray | None, _R]],
    count: int,
    skip: tuple[str, ...] = (),
    whole: Sequence[bool] | None = None,
) -> _R:
    """One dataclass of per-sector arrays from the pieces of each group of sectors.

    Parameters
    ----------
    pieces : sequence of (sectors, record)
        Each group's sectors (``None`` for all) and its record; the groups cover every
        sector once.
    count : int
        Number of sectors.
    skip : tuple of str, optional
        Fields not gathered: they keep the first piece's value.
    whole : sequence of bool, optional
        Which pieces' records hold every sector (their rows of the group's sectors are
        taken, as from :func:`rows` of them, without the copy); by default none.

    Returns
    -------
    record
        An optional array present in some pieces only holds its neutral value
        (:data:`NEUTRAL`) in the others' sectors.
    """
    (first_sectors, first), *_ = pieces
    if first_sectors is None:
        return first
    where = [row_index(sectors) for sectors, _ in pieces]
    full = [False] * len(pieces) if whole is None else list(whole)
    # A whole record's array is copied at once, the others' rows written over it: one
    # contiguous copy, not a gather of its many rows and a scatter of them again.
    sizes = [
        -1 if sectors is None or not taken else len(sectors)
        for (sectors, _), taken in zip(pieces, full, strict=True)
    ]
    largest = int(np.argmax(sizes))
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(first):  # type: ignore[arg-type]
        if f.name in skip:
            continue
        values = [getattr(record, f.name) for _, record in pieces]
        present = [v for v in values if v is not None]
        if not present or not isinstance(present[0], np.ndarray):
            continue
        like = present[0]
        shape = (count, *like.shape[1:])
        shared = _shared_whole(values, full, shape)
        if shared is not None:
            changes[f.name] = shared
            continue
        base = largest if full[largest] and values[largest] is not None else None
        # The groups cover every sector once: only an array some group lacks needs filling.
        if base is not None:
            out = np.array(values[base], dtype=like.dtype)
        elif len(present) == len(values):
            out = np.empty(shape, dtype=like.dtype)
        else:
            out = np.full(shape, NEUTRAL.get(f.name, 0), dtype=like.dtype)
        for k, (at, taken, value) in enumerate(zip(where, full, values, strict=True)):
            if k == base:
                continue
            if value is not None:
                out[at] = value[at] if taken else value
            elif base is not None:
                out[at] = NEUTRAL.get(f.name, 0)
        changes[f.name] = out
    return dataclasses.replace(first, **changes)  # type: ignore[type-var]


def _shared_whole(
    values: Sequence[Any], full: Sequence[bool], shape: tuple[int, ...]
) -> NDArray[Any] | None:
    """The gathered array when no copy is needed, else None.

    Every piece's array one read-only array of every sector (a path's kept solution of
    sectors at rest): that array. Every piece's array a view of one value (every stride 0),
    the same bits in all: a view of that value. Neither is ever written.
    """
    first = values[0]
    if not isinstance(first, np.ndarray) or first.shape[1:] != shape[1:]:
        return None
    if all(taken for taken in full) and all(v is first for v in values):
        return first if frozen(first) and first.shape == shape else None
    one = first.reshape(-1)[:1].tobytes()
    if all(
        isinstance(v, np.ndarray)
        and v.dtype == first.dtype
        and v.size
        and not any(v.strides)
        and v.reshape(-1)[:1].tobytes() == one
        for v in values
    ):
        return np.broadcast_to(first.reshape(-1)[0], shape)
    return None


def row_index(sectors: IntArray | None) -> IntArray | slice:
    """``sectors`` as a slice when they are a run of consecutive rows (a faster copy)."""
    if sectors is None:
        return slice(None)
    if len(sectors) and sectors[-1] - sectors[0] + 1 == len(sectors):
        if len(sectors) == 1 or bool(np.all(np.diff(sectors) == 1)):
            return slice(int(sectors[0]), int(sectors[-1]) + 1)
    return sectors


def group_routes(
    routes: Routes | None, sectors: IntArray | None
) -> tuple[Routes | None, NDArray[np.bool_] | None]:
    """The processing routes of some sectors, renumbered, and which routes they are.

    Returns ``(None, mask)`` when none of the routes is in these sectors and
    ``(routes, None)`` for all sectors.
    """
    if routes is None or sectors is None:
        return routes, None
    mine = np.isin(routes.sector, sectors)
    if not mine.any():
        return None, mine
    arrays = {
        f.name: getattr(routes, f.name)[mine]
        for f in dataclasses.fields(routes)
        if isinstance(getattr(routes, f.name), np.ndarray)
    }
    arrays["sector"] = np.searchsorted(sectors, routes.sector[mine])
    return dataclasses.replace(routes, **arrays), mine
