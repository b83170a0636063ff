"""What a model provides so that every command works on its scenarios and results.

A model is registered by name in :mod:`sim.models` (the name its results record as
``model`` in ``run.json``); the commands find it there and call it through this protocol,
so they never test which model a scenario or folder belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.compare import ResultFolder
    from sim.tables import Table

ChunkSolver = Callable[[Any], dict[str, Any]]


class Model(Protocol):
    """A model's run, draw, sensitivity and chart entry points.

    Attributes
    ----------
    name : str
        The model's name in ``run.json`` (``armington-pe``, ``structural-gravity``).
    """

    name: str

    def run(self, scenario: Any, monte_carlo: Any = None) -> Any:
        """Solve a resolved scenario (and its draws) into tables and a ``run.json`` record.

        Returns
        -------
        object
            With ``scenario``, ``tables`` (file name -> Table) and ``run`` (dict).
        """
        ...

    def chunk_solver(self) -> ChunkSolver:
        """A module-level function solving a chunk of parameter draws (picklable)."""
        ...

    def central_tables(self, scenario: Any) -> dict[str, Table]:
        """The tables that get bands, solved at the scenario's central parameters."""
        ...

    def uncertainty_keys(self, scenario: Any) -> tuple[str, ...]:
        """The parameters the scenario's ``uncertainty`` block draws, in draw order."""
        ...

    def paths_figure(
        self, folders: list[ResultFolder], sector: str, region: str, partners: Sequence[str]
    ) -> Figure:
        """The chart of ``tradesim plot`` for result folders of this model."""
        ...

    def differences_figure(self, folders: list[ResultFolder]) -> Figure:
        """The chart of ``tradesim compare --plot``: differences from the first folder."""
        ...
