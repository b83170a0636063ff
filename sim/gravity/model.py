"""The structural-gravity model behind the :class:`~sim.modelspec.Model` protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sim.modelspec import ChunkSolver

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.compare import ResultFolder
    from sim.gravity.run import GravityRunResult
    from sim.gravity.scenario import GravityScenario
    from sim.run import MonteCarloOptions
    from sim.tables import Table


class GravityModel:
    """One-sector structural-gravity general equilibrium (``docs/gravity.md``).

    Static: its results have one period (the data year), so its charts are bars by region.
    """

    name = "structural-gravity"

    def run(
        self, scenario: GravityScenario, monte_carlo: MonteCarloOptions | None = None
    ) -> GravityRunResult:
        """Solve the scenario (and its draws) into its result tables."""
        from sim.gravity.run import run_gravity

        result = run_gravity(scenario)
        if monte_carlo is not None:
            from sim.montecarlo import run_draws
            from sim.run import add_draws

            draws = run_draws(
                scenario,
                monte_carlo.draws,
                monte_carlo.seed,
                monte_carlo.executor,
                monte_carlo.progress,
                solver=self.chunk_solver(),
            )
            add_draws(result.tables, result.run, draws, monte_carlo)
        return result

    def chunk_solver(self) -> ChunkSolver:
        """:func:`sim.gravity.montecarlo.solve_gravity_chunk`."""
        from sim.gravity.montecarlo import solve_gravity_chunk

        return solve_gravity_chunk

    def central_tables(self, scenario: GravityScenario) -> dict[str, Table]:
        """Summary and indicators at the central parameters."""
        from sim.gravity.montecarlo import gravity_draw_tables

        return gravity_draw_tables(scenario)

    def uncertainty_keys(self, scenario: GravityScenario) -> tuple[str, ...]:
        """The keys of the scenario's ``uncertainty`` block."""
        return tuple(scenario.uncertainty)

    def paths_figure(
        self, folders: list[ResultFolder], sector: str, region: str, partners: Sequence[str]
    ) -> Figure:
        """Bars of welfare, real GDP and factory-gate price changes by region.

        ``sector``, ``region`` and ``partners`` choose the panels of quarterly paths; a
        static model draws every region.
        """
        from sim.plot_regions import regions_figure

        return regions_figure(folders)

    def differences_figure(self, folders: list[ResultFolder]) -> Figure:
        """Bars of each scenario's welfare change minus the first's, by region."""
        from sim.plot_regions import regions_differences_figure

        return regions_differences_figure(folders)


MODEL = GravityModel()
