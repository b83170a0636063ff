"""Sectors no draw touches: solved once per chunk, the same numbers as each draw alone."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from sim.datatypes import ELASTICITIES
from sim.drawfigures import welfare_totals
from sim.drawsectors import kept_sectors, varying_sectors
from sim.montecarlo import _banded, _draw_path, _solve_kept
from sim.policy import Target
from sim.scenario import Scenario, load_scenario
from sim.scenario_path import solve_scenario
from sim.timepath import ElasticityPaths
from sim.uncertainty import draw_values
from tests.conftest import SCENARIOS, same_bits


def chip_controls_only(tmp_path: Path) -> Path:
    """The lifted ban with only the chip-tool controls' coverage drawn.

    Scallops, the sector of the dataset's processing routes, is then shared by the draws.
    """
    text = (SCENARIOS / "seafood-ban-lifted.yaml").read_text(encoding="utf-8")
    head = text.split("uncertainty:")[0].replace(
        "extends: baseline.yaml", f"extends: {SCENARIOS / 'baseline.yaml'}"
    )
    path = tmp_path / "chip-controls.yaml"
    path.write_text(
        head
        + "uncertainty:\n"
        + "  policies.chip-tool-controls.coverage: {dist: uniform, low: 0.1, high: 0.4}\n",
        encoding="utf-8",
    )
    return path


def drawn(scenario: Scenario, draws: int) -> list[Scenario]:
    keys = tuple(scenario.uncertainty)
    values = draw_values(list(scenario.uncertainty.values()), seed=2, draws=range(draws))
    return [scenario.with_values(dict(zip(keys, row, strict=True))) for row in values]


def test_kept_sectors_are_the_first_draw_and_the_varying_ones_after() -> None:
    kept, source = kept_sectors(np.array([True, False, True]), 3)
    assert kept.tolist() == [0, 1, 2, 3, 5, 6, 8]
    # draw 1's sector 1 and draw 2's sector 1 are draw 0's
    assert source.tolist() == [0, 1, 2, 3, 1, 4, 5, 1, 6]


def test_a_sector_varies_with_its_own_parameters_and_its_policies_drawn_numbers() -> None:
    draws, regions = 2, 2
    ones = np.ones((draws * 3, regions))
    half_life = np.array([2.0, 2.0, 2.0, 2.0, 2.0, 3.0])  # sector 2 of draw 1
    paths = ElasticityPaths(
        {e: ones for e in ELASTICITIES}, {e: ones for e in ELASTICITIES}, half_life
    )
    cells = np.zeros((draws * 3, regions, regions), dtype=bool)
    cells[0::3, 0, 1] = True  # sector 0 of each draw
    where = Target(cells, np.zeros((draws * 3, regions), dtype=bool))
    drawn_coverage = SimpleNamespace(coverage=np.repeat([0.5, 0.7], 3))
    same_coverage = SimpleNamespace(coverage=np.repeat([0.5, 0.5], 3))
    rates = np.zeros((draws * 3, regions))
    assert varying_sectors(
        draws, paths, rates, [(same_coverage, where)], ("coverage",)
    ).tolist() == [
        False,
        False,
        True,
    ]
    assert varying_sectors(
        draws, paths, rates, [(drawn_coverage, where)], ("coverage",)
    ).tolist() == [
        True,
        False,
        True,
    ]
    rates[4] = 0.01  # sector 1 of draw 1
    assert varying_sectors(draws, paths, rates, [], ()).tolist() == [False, True, True]


@pytest.mark.parametrize(
    ("which", "varying"),
    [
        ("lifted", ["seafood", "scallops"]),
        ("chip-controls", ["chip_tools"]),
    ],
)
def test_each_draw_of_a_chunk_is_bitwise_its_own_solve(
    which: str, varying: list[str], tmp_path: Path
) -> None:
    """Shared sectors or not, every array of every quarter is that of the draw alone."""
    path = (
        SCENARIOS / "seafood-ban-lifted.yaml" if which == "lifted" else chip_controls_only(tmp_path)
    )
    scenario = load_scenario(path)
    dataset = scenario.dataset
    n = len(dataset.sectors)
    draws = drawn(scenario, 5)
    kept = _solve_kept(scenario, draws, 0)
    stacked = kept.spread(everything=True)
    # Welfare of the solved sectors, spread, is that of the whole stack.
    spread_welfare = welfare_totals(kept.path)[:, kept.source]
    assert spread_welfare.tobytes() == welfare_totals(stacked).tobytes()
    # The spread a chunk uses leaves out arrays the banded figures do not read: the same
    # figures, to the bit.
    lean, whole = (_banded(dataset, p, 5, spread_welfare) for p in (kept.spread(), stacked))
    assert all(lean[name].tobytes() == whole[name].tobytes() for name in whole)
    assert np.isnan(kept.spread().scenario[-1].segments[0].policy.tariff).all()
    assert len(stacked.scenario[0].segments[0].equilibrium.log_price) == 5 * n
    for d, draw in enumerate(draws):
        mine = _draw_path(stacked, slice(d * n, (d + 1) * n), dataset.routes, d)
        alone = solve_scenario(draw)
        # Iteration counts are summed over the stack's sectors; everything else is per sector.
        assert same_bits(mine.scenario, alone.scenario, skip=("report",)), d
        assert same_bits(mine.reference, alone.reference, skip=("report",)), d
    # The draws differ where they should, and only there.
    first, last = stacked.scenario[-1].value[:n], stacked.scenario[-1].value[4 * n :]
    differs = [dataset.sectors[s] for s in range(n) if not np.array_equal(first[s], last[s])]
    assert differs == varying
