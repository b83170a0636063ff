"""Shared fixtures: small hand-built markets and paths to test data."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from sim.dataset import Dataset
from sim.model import Baseline, Elasticities, Policy
from sim.policy import Target, target
from sim.processing import processing_baseline
from sim.quarters import Quarter, quarter_range
from sim.scenario import PolicySpec
from sim.timepath import (
    PeriodSolution,
    _branching,
    adjustment_speeds,
    elasticity_paths,
    growth_rates,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SCENARIOS = ROOT / "scenarios"


def make_policy(baseline: Baseline, **changes: np.ndarray) -> Policy:
    """The no-policy state with some arrays replaced."""
    none = Policy.none(baseline)
    fields = {
        "tariff": none.tariff,
        "export_tax": none.export_tax,
        "trade_cost": none.trade_cost,
        "availability": none.availability,
        "demand": none.demand,
        "supply": none.supply,
    }
    fields.update(changes)
    return Policy(**fields)


def uniform_elasticities(
    sectors: int, regions: int, sigma: float, eps: float, eta: float
) -> Elasticities:
    shape = (sectors, regions)
    return Elasticities(np.full(shape, sigma), np.full(shape, eps), np.full(shape, eta))


@pytest.fixture
def three_region_market() -> tuple[Baseline, Elasticities]:
    """Two sectors, three regions with home sales, tariffs and finite supply."""
    flows = np.array(
        [
            [[50.0, 10.0, 5.0], [8.0, 60.0, 4.0], [3.0, 6.0, 40.0]],
            [[200.0, 30.0, 1.0], [25.0, 150.0, 12.0], [9.0, 2.0, 80.0]],
        ]
    )
    tariffs = np.zeros_like(flows)
    tariffs[:, 0, 1] = 0.05
    tariffs[:, 2, 0] = 0.08
    elasticities = Elasticities(
        sigma=np.array([[3.0, 2.5, 4.0], [1.8, 5.0, 2.2]]),
        eps=np.array([[0.7, 1.0, 0.4], [1.2, 0.5, 0.9]]),
        eta=np.array([[0.5, 2.0, 0.25], [1.0, 0.3, 4.0]]),
    )
    return Baseline(flows, tariffs), elasticities


def same_bits(a: object, b: object, skip: tuple[str, ...] = ()) -> bool:
    """Two values equal to the bit: arrays by their bytes, dataclasses field by field.

    Fields named in ``skip`` are not compared, at any depth, nor fields declared with
    ``compare=False`` (a record of how a value was found, not part of it).
    """
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        x, y = np.asarray(a), np.asarray(b)
        return x.shape == y.shape and x.dtype == y.dtype and x.tobytes() == y.tobytes()
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            same_bits(getattr(a, f.name), getattr(b, f.name), skip)
            for f in dataclasses.fields(a)
            if f.name not in skip and f.compare
        )
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same_bits(x, y, skip) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def branching_paths(
    dataset: Dataset,
    mine: Sequence[PolicySpec],
    theirs: Sequence[PolicySpec],
    growth: dict[str, float],
    reuse: bool,
) -> list[tuple[PeriodSolution, PeriodSolution]]:
    """Each quarter of 2023Q1-2025Q4 of two runs on ``dataset``, solved side by side.

    As :func:`sim.timepath._branching` solves a scenario and its comparison run; ``reuse``
    takes kept solutions of sectors at their baseline (:mod:`sim.at_rest`).
    """

    def run(policies: Sequence[PolicySpec]) -> tuple[Sequence[PolicySpec], list[Target]]:
        return policies, [
            target(p.type, p.sectors, p.exporters, p.importers, dataset.sectors, dataset.regions)
            for p in policies
        ]

    return list(
        _branching(
            processing_baseline(dataset.flows, dataset.tariffs, dataset.routes),
            adjustment_speeds(elasticity_paths(dataset, {})),
            growth_rates(dataset, growth),
            run(mine),
            run(theirs),
            tuple(quarter_range(Quarter(2023, 1), Quarter(2025, 4))),
            dataset.sectors,
            None,
            reuse=reuse,
        )
    )
