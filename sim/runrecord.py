"""The part of a result folder's ``run.json`` that every model writes."""

from __future__ import annotations

from typing import Any

from sim._version import __version__


def run_header(model: str, scenario: Any, dataset: Any) -> dict[str, Any]:
    """The part of ``run.json`` every model writes: version, scenario and dataset.

    Parameters
    ----------
    model : str
        ``armington-pe`` or ``structural-gravity``.
    scenario : Scenario or GravityScenario
    dataset : Dataset or GravityDataset
    """
    return {
        "tradesim_version": __version__,
        "model": model,
        "scenario": scenario.name,
        "description": scenario.description,
        "scenario_fingerprint": scenario.fingerprint(),
        "scenario_files": [p.name for p in scenario.files],
        "resolved_scenario": scenario.to_dict(),
        "dataset": {
            "name": dataset.name,
            "title": dataset.title,
            "unit": dataset.unit,
            "year": dataset.year,
            "fingerprint": dataset.fingerprint,
        },
    }


def run_sources(dataset: Any) -> dict[str, dict[str, str]]:
    """Every source of a dataset, for ``run.json``."""
    return {
        key: {"kind": source.kind, "citation": source.citation, "quote": source.quote}
        for key, source in sorted(dataset.sources.items())
    }
