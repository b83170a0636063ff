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
    from sim.datatypes import Dataset
    from sim.gravity.scenario import GravityScenario
    from sim.gravity.types import GravityDataset

# Top-level keys that only a scenario file has (a dataset has neither).
SCENARIO_ONLY_KEYS = frozenset({"policies", "extends"})


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


def dataset_named(
    name_or_path: str | Path, *, relative_to: Path | None = None
) -> Dataset | GravityDataset:
    """The dataset a command argument names: a dataset, or the dataset of a scenario file.

    Parameters
    ----------
    name_or_path : str or Path
        A packaged dataset name, a dataset file, or a scenario file (recognised by its
        ``policies`` or ``extends`` key), whose resolved dataset is returned.
    relative_to : Path, optional
        The folder a relative dataset path is read from.

    Returns
    -------
    Dataset or GravityDataset
    """
    from sim._yaml import load_yaml
    from sim.dataset import MAX_DATASET_BYTES
    from sim.gravity.dataset import load_any_dataset

    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        document = load_yaml(path, max_bytes=MAX_DATASET_BYTES, what="dataset or scenario")
        if isinstance(document.data, dict) and SCENARIO_ONLY_KEYS & document.data.keys():
            return load_any_scenario(path).dataset
    return load_any_dataset(name_or_path, relative_to=relative_to)
