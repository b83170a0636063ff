"""Monte Carlo runs: bands that are ordered and move, identical on every executor."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.montecarlo import (
    CELL_ARRAYS_PER_DRAW,
    CHUNK_BYTES,
    Chunk,
    central_starts,
    draw_tables,
    draws_per_chunk,
    run_draws,
    solve_chunk,
)
from sim.results import table_csv
from sim.run import run_scenario
from sim.scenario import load_scenario
from sim.scenario_path import solve_scenario
from sim.timepath import PathSolution
from sim.uncertainty import bands, draw_values
from tests.conftest import SCENARIOS

LIFTED = SCENARIOS / "seafood-ban-lifted.yaml"
DRAWS = 60  # eight chunks
BANDS = ("change_mean", "change_p05", "change_p50", "change_p95")


def _run(out: Path, *options: str) -> Path:
    result = CliRunner().invoke(
        main, ["run", str(LIFTED), "--out", str(out), "--draws", str(DRAWS), *options]
    )
    assert result.exit_code == 0, result.output
    return out / "seafood-ban-lifted"


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def in_process(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _run(tmp_path_factory.mktemp("in-process"), "--seed", "7", "--keep-draws")


def test_bands_are_ordered_and_not_degenerate_where_parameters_matter(in_process: Path) -> None:
    rows = {
        (r["indicator"], r["sector"], r["region"], r["partner"]): r
        for r in _rows(in_process, "summary.csv")
    }
    for row in rows.values():
        low, mid, high = (float(row[c]) for c in BANDS[1:])
        assert low <= mid <= high
    china = rows[("exports", "seafood", "JPN", "CHN")]
    low, high = float(china["change_p05"]), float(china["change_p95"])
    assert high - low > 1.0  # JPY bn over the horizon: coverage and sigma are drawn
    assert low < float(china["change"]) < high
    # Chip tools depend on no drawn parameter: their band collapses onto the central value.
    tools = rows[("exports", "chip_tools", "JPN", "CHN")]
    assert {float(tools[c]) for c in BANDS} == {float(tools["change"])}


def test_indicators_carry_the_same_bands(in_process: Path) -> None:
    rows = _rows(in_process, "indicators.csv")
    moved = [r for r in rows if float(r["change_p95"] or 0) - float(r["change_p05"] or 0) > 0]
    marine = ("seafood", "scallops", "scallops+seafood", "all")  # the Hokkaido satellite spans two
    assert moved and all(r["sector"] in marine for r in moved)


def test_per_draw_output_and_the_seed_are_recorded(in_process: Path) -> None:
    run = json.loads((in_process / "run.json").read_text())
    assert run["seed"] == 7 and run["monte_carlo"]["draws"] == DRAWS
    summary = _rows(in_process, "summary.csv")
    draws = _rows(in_process, "draws.csv")
    assert len(draws) == DRAWS * len(summary)
    china = [
        float(r["change"])
        for r in draws
        if (r["indicator"], r["sector"], r["region"], r["partner"])
        == ("exports", "seafood", "JPN", "CHN")
    ]
    central = next(
        r
        for r in summary
        if r["indicator"] == "exports"
        and r["region"] == "JPN"
        and r["partner"] == "CHN"
        and r["sector"] == "seafood"
    )
    assert float(central["change_p50"]) == pytest.approx(np.percentile(china, 50), abs=2e-6)
    parameters = _rows(in_process, "draw_parameters.csv")
    assert len(parameters) == DRAWS * len(run["monte_carlo"]["parameters"])
    coverage = [
        float(r["value"]) for r in parameters if r["parameter"] == "policies.seafood-ban.coverage"
    ]
    assert 0.68 <= min(coverage) < max(coverage) <= 0.89


def test_a_draw_at_the_central_values_reproduces_the_central_run() -> None:
    scenario = load_scenario(LIFTED)
    central = {
        "seafood.sigma_import.long_run": 2.5,
        "seafood.sigma_import.short_run": 1.51,
        "seafood.sigma_domestic.long_run": 1.25,
        "seafood.eta.long_run": 1.0,
        "seafood.half_life_quarters": 2.0,
        "policies.seafood-ban.coverage": 0.806,
        "policies.hong-kong-prefecture-ban.coverage": 0.10,
    }
    assert set(central) == set(scenario.uncertainty)

    def text(tables: dict) -> list[str]:
        return [table_csv(table) for table in tables.values()]

    assert text(draw_tables(scenario.with_values(central))) == text(draw_tables(scenario))
    moved = draw_tables(scenario.with_values(central | {"policies.seafood-ban.coverage": 0.5}))
    assert text(moved) != text(draw_tables(scenario))


def test_local_processes_give_identical_files(in_process: Path, tmp_path: Path) -> None:
    folder = _run(tmp_path, "--seed", "7", "--keep-draws", "--workers", "2")
    for name in ("summary.csv", "indicators.csv", "draws.csv", "run.json"):
        assert (folder / name).read_bytes() == (in_process / name).read_bytes(), name


def test_a_dask_cluster_on_loopback_gives_identical_files(in_process: Path, tmp_path: Path) -> None:
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        folder = _run(
            tmp_path, "--seed", "7", "--keep-draws", "--scheduler", cluster.scheduler_address
        )
    for name in ("summary.csv", "indicators.csv", "draws.csv", "run.json"):
        assert (folder / name).read_bytes() == (in_process / name).read_bytes(), name


def test_without_a_seed_one_is_chosen_printed_and_recorded(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(LIFTED), "--out", str(tmp_path), "--draws", "3"])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    seed = int(first.split()[1])
    assert first == f"seed {seed} (repeat these draws with --seed {seed})"
    run = json.loads((tmp_path / "seafood-ban-lifted" / "run.json").read_text())
    assert run["seed"] == seed


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            [str(SCENARIOS / "baseline.yaml"), "--draws", "5"],
            f"Error: {SCENARIOS / 'baseline.yaml'}: --draws needs an 'uncertainty' block giving "
            "the distributions to draw from (see docs/uncertainty.md)",
        ),
        ([str(LIFTED), "--seed", "3"], "Error: --seed needs --draws N"),
    ],
)
def test_bad_monte_carlo_options_get_one_line_and_exit_2(
    arguments: list[str], message: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(main, ["run", *arguments, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1].startswith(message)
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_is_one_line_and_exit_1(tmp_path: Path) -> None:
    """A well-formed address nobody answers at: the run cannot finish (exit 1), not bad input."""
    arguments = [str(LIFTED), "--draws", "2", "--scheduler", "tcp://127.0.0.1:9"]
    result = CliRunner().invoke(main, ["run", *arguments, "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1].startswith(
        "Error: cannot reach the Dask scheduler at tcp://127.0.0.1:9"
    )
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_the_installed_script_runs_draws_in_a_real_subprocess(tmp_path: Path) -> None:
    script = shutil.which("tradesim", path=str(Path(sys.executable).parent))
    assert script is not None
    done = subprocess.run(
        [script, "run", str(LIFTED), "--out", str(tmp_path), "--draws", "4", "--seed", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # off a terminal, progress is a line per tenth of the draws, not a bar
    assert done.stderr.splitlines()[-1] == "seafood-ban-lifted: 4/4 draws solved"
    assert "\r" not in done.stderr
    assert "  welfare, 5-95% range over 4 draws (seed 1): ASE " in done.stdout


def test_a_stacked_chunk_gives_each_draw_exactly_its_own_solve() -> None:
    scenario = load_scenario(LIFTED)
    keys = tuple(scenario.uncertainty)
    values = draw_values(list(scenario.uncertainty.values()), seed=3, draws=range(6))
    starts = central_starts(scenario)
    stacked = solve_chunk(Chunk(scenario, 0, values, starts))
    alone = solve_chunk(Chunk(scenario, 4, values[4:5]))
    for name in ("summary.csv", "indicators.csv"):
        np.testing.assert_array_equal(stacked[name][4:5], alone[name])
        # Solved alone from the same starting prices: the same bits.
        drawn = scenario.with_values(dict(zip(keys, values[2], strict=True)))
        tables = draw_tables(drawn, starts)
        change = tables[name].columns.index("change")
        single = np.array([float(row[change]) for row in tables[name].rows])
        np.testing.assert_array_equal(stacked[name][2], single)


def test_a_terminal_gets_a_progress_bar_on_stderr(tmp_path: Path) -> None:
    import os
    import pty

    script = shutil.which("tradesim", path=str(Path(sys.executable).parent))
    assert script is not None
    leader, follower = pty.openpty()
    done = subprocess.run(
        [script, "run", str(LIFTED), "--out", str(tmp_path), "--draws", "60", "--seed", "1"],
        stdout=subprocess.PIPE,
        stderr=follower,
        check=False,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert done.returncode == 0
    assert b"seafood-ban-lifted: draws" in shown and b"100%" in shown
    assert b"100%" not in done.stdout  # the bar stays off stdout


@pytest.mark.parametrize(
    ("hidden", "arguments", "message"),
    [
        (
            "dask",
            ["run", str(LIFTED), "--draws", "2", "--scheduler", "tcp://127.0.0.1:8786"],
            "Error: --scheduler needs Dask: pip install 'tradesim[dask]' (dask[distributed])",
        ),
        (
            "SALib",
            ["sensitivity", str(LIFTED), "--indicator", "welfare", "--region", "JPN"],
            "Error: tradesim sensitivity needs SALib: pip install 'tradesim[sensitivity]'",
        ),
    ],
)
def test_a_missing_extra_is_named_before_anything_is_solved(
    hidden: str, arguments: list[str], message: str, tmp_path: Path
) -> None:
    # The extra is made unimportable in a real interpreter, as on a core-only install.
    code = (
        f"import sys; sys.modules[{hidden!r}] = None; from sim.cli import main; "
        "main(prog_name='tradesim')"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            *arguments,
            *(["--out", str(tmp_path / "out")] if arguments[0] == "run" else []),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [message]
    assert done.stdout == ""
    assert not (tmp_path / "out").exists()


def test_every_kind_of_key_is_drawn_and_stacked_exactly(tmp_path: Path) -> None:
    text = (SCENARIOS / "escalation.yaml").read_text(encoding="utf-8")
    path = tmp_path / "every-key.yaml"
    path.write_text(
        text.replace("extends: baseline.yaml", f"extends: {SCENARIOS / 'baseline.yaml'}")
        + """
demand_growth: {CHN: 0.02}
uncertainty:
  chip_tools.regions.CHN.sigma.long_run: {dist: uniform, low: 3.0, high: 5.0}
  critical_minerals.eta.short_run: {dist: lognormal, median: 0.2, sigma: 0.3}
  other_goods.half_life_quarters: {dist: triangular, low: 2, mode: 4, high: 6}
  demand_growth.CHN: {dist: normal, mean: 0.02, sd: 0.01, low: 0.0, high: 0.05}
  policies.chip-tool-controls.tax_equivalent: {dist: uniform, low: 0.0, high: 0.05}
""",
        encoding="utf-8",
    )
    scenario = load_scenario(path)
    keys = tuple(scenario.uncertainty)
    values = draw_values(list(scenario.uncertainty.values()), seed=5, draws=range(4))
    one = scenario.with_values(dict(zip(keys, values[1], strict=True)))
    assert one.parameters["chip_tools"]["regions"]["CHN"]["sigma"]["long_run"] == values[1][0]
    assert one.demand_growth["CHN"] == values[1][2]
    control = next(p for p in one.policies if p.id == "chip-tool-controls")
    assert control.tax_equivalent == values[1][4]
    stacked = solve_chunk(Chunk(scenario, 0, values))
    starts = central_starts(scenario)
    for d in range(4):
        drawn = scenario.with_values(dict(zip(keys, values[d], strict=True)))
        tables = draw_tables(drawn, starts)
        for name in ("summary.csv", "indicators.csv"):
            change = tables[name].columns.index("change")
            single = np.array([float(row[change]) for row in tables[name].rows])
            np.testing.assert_array_equal(stacked[name][d], single)


def test_bands_are_bitwise_the_same_for_any_chunk_size() -> None:
    scenario = load_scenario(LIFTED)
    runs = {size: run_draws(scenario, 24, 11, chunk_draws=size) for size in (1, 7, 50, 1000)}
    first = runs[1]
    for size, draws in runs.items():
        for name in ("summary.csv", "indicators.csv"):
            np.testing.assert_array_equal(draws.changes[name], first.changes[name], str(size))
            mine, theirs = bands(draws.changes[name]), bands(first.changes[name])
            for stat in ("mean", "p05", "p50", "p95"):
                np.testing.assert_array_equal(getattr(mine, stat), getattr(theirs, stat))


def test_the_chunk_size_follows_the_memory_budget() -> None:
    scenario = load_scenario(LIFTED)
    cells = scenario.dataset.flows.size
    fit = CHUNK_BYTES // (8 * CELL_ARRAYS_PER_DRAW * cells)
    chunks = -(-10_000 // fit)
    size = draws_per_chunk(scenario, 10_000)
    # as many chunks as the budget needs, as even as they can be
    assert size <= fit and -(-10_000 // size) == chunks
    assert size * chunks - 10_000 < chunks
    assert draws_per_chunk(scenario, 10 * fit) == fit
    assert draws_per_chunk(scenario, 16) == 2  # enough chunks for the workers to share
    assert draws_per_chunk(scenario, 1) == 1


def test_batched_draws_match_ordinary_runs_at_the_drawn_values() -> None:
    scenario = load_scenario(LIFTED)
    keys = tuple(scenario.uncertainty)
    draws = run_draws(scenario, 9, 5, chunk_draws=9)
    for d in (0, 4, 8):
        alone = run_scenario(scenario.with_values(dict(zip(keys, draws.values[d], strict=True))))
        for name in ("summary.csv", "indicators.csv"):
            table = alone.tables[name]
            change = np.asarray(table.data[table.columns.index("change")], dtype=float)
            # The same operations on the same numbers: rounding is the only freedom, and
            # 1e-9 of a figure is far below the precision of any input.
            np.testing.assert_allclose(draws.changes[name][d], change, rtol=1e-9, atol=1e-12)


def _iterations(path: PathSolution) -> int:
    """Newton iterations of a path, a quarter both runs share counted once."""
    own = [p for p in path.reference if all(p is not q for q in path.scenario)]
    return sum(p.iterations for p in (*path.scenario, *own))


def test_the_central_values_started_from_the_central_prices_take_no_iteration() -> None:
    scenario = load_scenario(LIFTED)
    starts = central_starts(scenario)
    assert _iterations(solve_scenario(scenario)) > 0
    assert _iterations(solve_scenario(scenario, starts)) == 0
    ordinary, started = draw_tables(scenario), draw_tables(scenario, starts)
    for name in ("summary.csv", "indicators.csv"):
        change = ordinary[name].columns.index("change")
        np.testing.assert_array_equal(
            [float(row[change]) for row in started[name].rows],
            [float(row[change]) for row in ordinary[name].rows],
        )


def test_draws_started_from_the_central_prices_take_fewer_iterations() -> None:
    scenario = load_scenario(LIFTED)
    keys = tuple(scenario.uncertainty)
    starts = central_starts(scenario)
    for values in draw_values(list(scenario.uncertainty.values()), seed=3, draws=range(5)):
        drawn = scenario.with_values(dict(zip(keys, values, strict=True)))
        assert _iterations(solve_scenario(drawn, starts)) < _iterations(solve_scenario(drawn))
