"""The partial-equilibrium (Armington) model behind the :class:`~sim.modelspec.Model` protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sim.modelspec import ChunkSolver

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.compare import ResultFolder
    from sim.run import MonteCarloOptions, RunResult
    from sim.scenario import Scenario
    from sim.tables import Table


class ArmingtonModel:
    """Multi-region, multi-sector Armington model on a quarterly path (``docs/model.md``)."""

    name = "armington-pe"

    def run(self, scenario: Scenario, monte_carlo: MonteCarloOptions | None = None) -> RunResult:
        """Solve the scenario's path (and draws) into its result tables."""
        from sim.run import run_scenario

        return run_scenario(scenario, monte_carlo)

    def chunk_solver(self) -> ChunkSolver:
        """:func:`sim.montecarlo.solve_chunk`."""
        from sim.montecarlo import solve_chunk

        return solve_chunk

    def central_tables(self, scenario: Scenario) -> dict[str, Table]:
        """Summary and indicators at the central parameters."""
        from sim.montecarlo import draw_tables

        return draw_tables(scenario)

    def uncertainty_keys(self, scenario: Scenario) -> tuple[str, ...]:
        """The keys of the scenario's ``uncertainty`` block."""
        return tuple(scenario.uncertainty)

    def paths_figure(
        self, folders: list[ResultFolder], sector: str, region: str, partners: Sequence[str]
    ) -> Figure:
        """Quarterly paths of a region's exports, prices and welfare."""
        from sim.plot import paths_figure

        return paths_figure(folders, sector, region, partners)

    def differences_figure(self, folders: list[ResultFolder]) -> Figure:
        """Quarterly differences of the four export flows that differ most, and welfare."""
        from sim.compare import headline
        from sim.plot import differences_figure

        flows = [(r[2], r[3], r[4]) for r in headline(folders, ("exports",), top=4).rows]
        return differences_figure(folders, flows)


MODEL = ArmingtonModel()
