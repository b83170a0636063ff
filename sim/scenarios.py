"""Load a scenario file of any model: the ``model:`` field chooses the resolver.

:mod:`sim.scenario` resolves partial-equilibrium scenarios and :mod:`sim.gravity.scenario`
gravity ones; both read and merge the chain of files the same way. Choosing between them
here keeps either resolver from importing the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sim.scenario import (
    Scenario,
    merge_chain,
    model_name,
    read_chain,
    resolve_scenario,
    scenario_name,
)
from sim.shipped import find_scenario

if TYPE_CHECKING:
    from sim.gravity.scenario import GravityScenario


def load_any_scenario(path: str | Path) -> Scenario | GravityScenario:
    """Read, resolve and validate a scenario file of either model.

    Parameters
    ----------
    path : str or Path
        The scenario YAML file, or the name of a shipped scenario (a path that exists
        wins).

    Returns
    -------
    Scenario or GravityScenario

    Raises
    ------
    InputError
        With file, line, column and field of the first problem found.
    """
    path = find_scenario(path)
    chain = read_chain(path)
    merged = merge_chain(chain)
    if model_name(chain, merged) == "gravity":
        from sim.gravity.scenario import gravity_scenario

        return gravity_scenario(path, chain, merged, scenario_name(path, chain, merged))
    return resolve_scenario(path, chain, merged)
