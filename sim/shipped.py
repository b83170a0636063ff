"""The shipped scenarios: found by name from any folder.

The scenario files live in the repository's top-level ``scenarios/`` folder. A built
package (``pip install .``, a wheel) carries them as the package data ``sim/scenarios/``
(``pyproject.toml`` maps that package folder onto ``scenarios/``); an editable install or
a source checkout reads ``scenarios/`` beside the ``sim`` package. A path that exists
always wins over a name, so ``tradesim run baseline`` in a folder holding a file
``baseline`` runs that file.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# A wheel's package data first, then the checkout that an editable install points into.
_PLACES = (_PACKAGE / "scenarios", _PACKAGE.parent / "scenarios")


def shipped_folder() -> Path:
    """The folder holding the shipped scenario files.

    Returns
    -------
    Path
        ``sim/scenarios`` in an installed package, else ``scenarios/`` of the checkout.

    Raises
    ------
    InputError
        When neither exists (a broken installation).
    """
    for place in _PLACES:
        if place.is_dir() and any(place.glob("*.yaml")):
            return place
    from sim.errors import InputError

    raise InputError("the shipped scenarios are missing from this installation; reinstall tradesim")


def shipped_names() -> list[str]:
    """The names of the shipped scenarios, sorted."""
    return sorted(p.stem for p in shipped_folder().glob("*.yaml"))


def shipped_path(name: str) -> Path | None:
    """The file of the shipped scenario ``name`` (``baseline`` or ``baseline.yaml``).

    Parameters
    ----------
    name : str
        A bare name: no folder part.

    Returns
    -------
    Path or None
        None when ``name`` has a folder part or no shipped scenario has that name.
    """
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    stem = name[: -len(".yaml")] if name.endswith(".yaml") else name
    for place in _PLACES:
        candidate = place / f"{stem}.yaml"
        if candidate.is_file():
            return candidate
    return None


def find_scenario(text: str | Path) -> Path:
    """The scenario file meant by ``text``: an existing path, else a shipped name.

    Parameters
    ----------
    text : str or Path
        A file path, or the name of a shipped scenario (``seafood-ban-lifted``).

    Returns
    -------
    Path
        The path itself when it exists or names no shipped scenario (so that reading it
        reports the missing file).
    """
    path = Path(text)
    if path.exists():
        return path
    return shipped_path(str(text)) or path
