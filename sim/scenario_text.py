"""Scenarios as text for people: the resolved YAML ``show`` prints, the file ``init`` writes.

YAML and the readers are imported inside the functions, so that importing this module
stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.errors import InputError


def resolved_text(scenario: Any) -> str:
    """A resolved scenario as YAML that validates, after a comment naming its files.

    Parameters
    ----------
    scenario : Scenario or GravityScenario
        Resolved: after ``extends``, overrides by id and defaults.

    Returns
    -------
    str
        ``# file <- extended file`` and the YAML document, newline-terminated.
    """
    import yaml

    shown = scenario.to_dict()
    for policy in shown.get("policies", []):
        # an unset optional field is left out: printed as null it would not validate
        for key in [k for k, v in policy.items() if v is None and k != "end"]:
            del policy[key]
    text = yaml.safe_dump(
        shown, sort_keys=False, allow_unicode=True, width=88, default_flow_style=None
    )
    files = " <- ".join(str(p) for p in reversed(scenario.files))
    return f"# {files}\n{text}"


def new_scenario(name: str, out: Path | None = None, source: str | None = None) -> tuple[Path, str]:
    """Where a new scenario called ``name`` goes, and its text.

    Parameters
    ----------
    name : str
        The new scenario's name.
    out : Path, optional
        The file to write; ``NAME.yaml`` in the current folder by default.
    source : str, optional
        A scenario (a file or a shipped name) to copy, renamed ``name``; the commented
        starter scenario by default.

    Returns
    -------
    target : Path
    text : str

    Raises
    ------
    InputError
        A name that cannot be a file name, a target that exists, or a bad ``source``.
    """
    from sim.starter import copied_scenario, starter_scenario

    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise InputError(f"'{name}' cannot be a scenario name; use letters, digits and dashes")
    target = out or Path(f"{name}.yaml")
    if target.exists():
        raise InputError(f"'{target}' already exists; choose another name or --out")
    if source is None:
        return target, starter_scenario(name)
    from sim.batch import load_all

    (original,) = load_all([Path(source)])
    return target, copied_scenario(original.path, name, target)
