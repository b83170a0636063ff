"""Scenario files: inheritance, overrides by id, and located errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from sim.errors import InputError, SolverError
from sim.model import Baseline, Elasticities
from sim.scenario import load_scenario
from sim.solve import solve_period
from tests.conftest import SCENARIOS, make_policy


def test_a_policy_with_an_inherited_id_changes_only_the_fields_it_gives() -> None:
    lifted = load_scenario(SCENARIOS / "seafood-ban-lifted.yaml")
    baseline = load_scenario(SCENARIOS / "baseline.yaml")
    ban = {p.id: p for p in lifted.policies}["seafood-ban"]
    original = {p.id: p for p in baseline.policies}["seafood-ban"]
    assert ban.end == dt.date(2024, 7, 1) and original.end is None
    assert (ban.start, ban.coverage, ban.importers) == (
        original.start,
        original.coverage,
        original.importers,
    )
    assert [p.id for p in lifted.policies] == [p.id for p in baseline.policies]
    assert lifted.files == (SCENARIOS / "baseline.yaml", SCENARIOS / "seafood-ban-lifted.yaml")
    assert (lifted.start, lifted.end) == (baseline.start, baseline.end)
    assert lifted.name == "seafood-ban-lifted"


def test_extends_cycles_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nstart: 2023Q1\nend: 2023Q4\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(
        InputError, match="the extends chain forms a cycle: a.yaml -> b.yaml -> a.yaml"
    ):
        load_scenario(tmp_path / "a.yaml")


def test_missing_parent_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "child.yaml"
    path.write_text("name: child\nextends: nowhere.yaml\n")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert (
        str(info.value)
        == f"{path}:2:10: extends: 'nowhere.yaml' is neither a file (paths are relative to "
        "this file) nor a shipped scenario (tradesim list)"
    )


def test_parameter_overrides_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "start: 2023Q1\nend: 2023Q2\nparameters:\n  seafood:\n    sigma: {short_run: 0.8}\n"
    )
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert str(info.value) == (
        f"{path}:5:24: parameters.seafood.sigma.short_run: sigma must be greater than 1 "
        "(a ban on a variety would otherwise be unbounded)"
    )
    path.write_text(
        "start: 2023Q1\nend: 2023Q2\nparameters:\n  seafod:\n    half_life_quarters: 2\n"
    )
    with pytest.raises(InputError, match="unknown sector 'seafod'; did you mean 'seafood'"):
        load_scenario(path)


def test_a_solver_that_cannot_meet_its_tolerance_names_the_sector_and_period() -> None:
    """A negative tolerance cannot be met: Newton and the scipy fallback run, then it fails."""
    flows = np.array([[[50.0, 10.0], [8.0, 60.0]]])
    baseline = Baseline(flows, np.zeros_like(flows))
    availability = np.ones_like(flows)
    availability[0, 0, 1] = 0.5
    elasticities = Elasticities(np.full((1, 2), 3.0), np.full((1, 2), 0.7), np.full((1, 2), 0.5))
    policy = make_policy(baseline, availability=availability)
    with pytest.raises(SolverError) as info:
        solve_period(
            baseline,
            policy,
            elasticities,
            sector_names=("seafood",),
            period="2024Q1",
            tolerance=-1.0,
        )
    assert info.value.sector == "seafood" and info.value.period == "2024Q1"
    assert str(info.value).startswith("no equilibrium for sector 'seafood' in 2024Q1")
    assert info.value.exit_code == 1
