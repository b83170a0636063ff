"""The registry of models: each command finds a scenario's or a result folder's model here.

Models are imported only when asked for, so ``tradesim --help`` loads none of them.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import InputError
from sim.modelspec import Model

if TYPE_CHECKING:
    from sim.armington import ArmingtonModel
    from sim.gravity.model import GravityModel

    # mypy checks here that both models implement the protocol
    _IMPLEMENTED: tuple[Model, ...] = (ArmingtonModel(), GravityModel())

# run.json "model" -> the module holding the model as MODEL
REGISTRY = {
    "armington-pe": "sim.armington",
    "structural-gravity": "sim.gravity.model",
}


def model_named(name: str) -> Model:
    """The registered model called ``name``.

    Raises
    ------
    InputError
        For a name no model is registered under.
    """
    if name not in REGISTRY:
        raise InputError(f"unknown model '{name}'; known: {', '.join(sorted(REGISTRY))}")
    model: Model = importlib.import_module(REGISTRY[name]).MODEL
    return model


def model_of(scenario: Any) -> Model:
    """The model of a resolved scenario (its class's ``registered_model``)."""
    return model_named(scenario.registered_model)


def model_of_folders(folders: list[Any]) -> Model:
    """The model of result folders (``model`` in their ``run.json``; the first one's).

    Folders of different models are refused by :func:`sim.compare.check_compatible`.
    """
    name = folders[0].run.get("model")
    if not isinstance(name, str):
        raise InputError(f"'{folders[0].path}' has no model in its run.json")
    return model_named(name)


def run_any(scenario: Any, monte_carlo: Any = None) -> Any:
    """Run a scenario (resolved, or the path of its file) through its model.

    Parameters
    ----------
    scenario : Scenario, GravityScenario, str or Path
    monte_carlo : MonteCarloOptions, optional
        Also solve the draws of the scenario's ``uncertainty`` block.

    Returns
    -------
    RunResult or GravityRunResult
    """
    if isinstance(scenario, str | Path):
        from sim.scenarios import load_any_scenario

        scenario = load_any_scenario(scenario)
    return model_of(scenario).run(scenario, monte_carlo)
