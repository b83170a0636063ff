"""The 2023 seafood ban as a back-cast against the observed figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.backcast import backcast, load_observations, window_values
from sim.cli import main
from tests.conftest import SCENARIOS

# The figures the model misses, and why (docs/validation.md):
# - china-2023: MAFF's calendar-2023 fall is year on year and includes +22% growth of
#   January-July 2023 over January-July 2022, which the history scenarios do not model;
# - hokkaido-volume-fy2023: each price change is adjusted to on its own clock, so Japan's
#   seafood supply keeps contracting through FY2023 while its price recovers from the
#   autumn low; the model's volume falls 7.5% against 3.2% observed. The supply elasticities
#   and half-life of seafood are recalibrated to the 2023 diversion separately.
KNOWN_MISSES = {"china-2023", "hokkaido-volume-fy2023"}


@pytest.fixture(scope="module")
def solved():
    return backcast(SCENARIOS)


def test_every_observation_has_a_source_and_a_real_window() -> None:
    observations = load_observations()
    assert len(observations.items) >= 7
    for obs in observations.items:
        assert obs.first <= obs.last


def test_the_model_reproduces_the_observations_within_tolerance(solved) -> None:
    fits, _, _ = solved
    missed = {f.observation.id for f in fits if not f.reproduced}
    assert missed == KNOWN_MISSES


def test_the_ban_takes_most_of_china_bound_trade_but_not_all(solved) -> None:
    fits, _, _ = solved
    by_id = {f.observation.id: f.model for f in fits}
    assert -95 < by_id["china-sep-nov"] < -80  # pearls, coral and carp kept trading
    assert by_id["hokkaido-price-fy2023"] < by_id["hokkaido-volume-fy2023"] < 0
    assert by_id["usa-october"] > 0


def _flows(folder: Path) -> dict[tuple[str, ...], float]:
    with (folder / "flows.csv").open() as f:
        return {
            (r["period"], r["sector"], r["exporter"], r["importer"]): float(r["value"])
            for r in csv.DictReader(f)
        }


def test_backcast_figures_are_those_tradesim_run_writes(solved, tmp_path: Path) -> None:
    fits, treated, untreated = solved
    runner = CliRunner()
    for name in ("history-2023-ban", "history-no-ban"):
        result = runner.invoke(
            main, ["run", str(SCENARIOS / f"{name}.yaml"), "--out", str(tmp_path)]
        )
        assert result.exit_code == 0, result.output
    with_ban, without = _flows(tmp_path / "history-2023-ban"), _flows(tmp_path / "history-no-ban")
    days = {"2023Q1": 90, "2023Q2": 91, "2023Q3": 92, "2023Q4": 92}
    key = ("seafood", "JPN", "CHN")
    # a year from the quarterly rates of flows.csv: each quarter weighted by its days
    csv_change = 100 * (
        sum(with_ban[(q, *key)] * n for q, n in days.items())
        / sum(without[(q, *key)] * n for q, n in days.items())
        - 1
    )
    model = {f.observation.id: f.model for f in fits}
    # the CSVs hold six decimals of quarterly values
    assert model["china-2023"] == pytest.approx(csv_change, abs=1e-4)
    # months are day-weighted parts of quarters: July to September add up to 2023Q3
    s, o, d = 0, 0, treated.scenario.dataset.regions.index("CHN")
    assert treated.scenario.dataset.sectors[s] == "seafood"
    months = [(dt.date(2023, m, 1), dt.date(2023, m + 1, 1)) for m in (7, 8, 9)]
    summed = sum(window_values(treated.path, w)[s, o, d] for w in months)
    quarterly = with_ban[("2023Q3", *key)] * 4 * 92 / 365
    assert summed == pytest.approx(quarterly, abs=1e-5)


def test_backcast_command_prints_the_table_and_a_csv() -> None:
    runner = CliRunner()
    table = runner.invoke(main, ["backcast", "--scenarios", str(SCENARIOS)])
    assert table.exit_code == 0, table.output
    assert "china-sep-nov" in table.output
    result = runner.invoke(main, ["backcast", "--scenarios", str(SCENARIOS), "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["id"] for r in rows] == [o.id for o in load_observations().items]
    assert all(np.isfinite(float(r["model_pct"])) for r in rows)


def test_backcast_plot_is_a_png(tmp_path: Path) -> None:
    target = tmp_path / "fit.png"
    result = CliRunner().invoke(
        main, ["backcast", "--scenarios", str(SCENARIOS), "--plot", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_history_that_misses_an_observed_window_is_one_line_before_solving(
    tmp_path: Path,
) -> None:
    import shutil

    for name in ("baseline", "history-no-ban", "history-2023-ban"):
        shutil.copy(SCENARIOS / f"{name}.yaml", tmp_path)
    short = tmp_path / "history-no-ban.yaml"
    short.write_text(short.read_text().replace("end: 2025Q4", "end: 2023Q2"))
    result = CliRunner().invoke(main, ["backcast", "--scenarios", str(tmp_path)])
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert "history-2023-ban.yaml: the horizon 2023Q1-2023Q2 does not cover observation" in line
