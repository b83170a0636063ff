"""The 2023 seafood ban as a back-cast against the observed figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.backcast import backcast, load_observations, loss, window_values
from sim.cli import main
from sim.errors import InputError
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def solved():
    return backcast(SCENARIOS)


def test_every_observation_has_a_source_a_tolerance_and_a_real_window() -> None:
    observations = load_observations()
    assert len(observations.items) >= 14
    for obs in observations.items:
        assert obs.first <= obs.last
        assert obs.tolerance > 0


def test_every_row_is_within_its_tolerance_or_says_why_not(solved) -> None:
    fits, _, _ = solved
    for fit in fits:
        obs = fit.observation
        # a stated reason for a row the model reproduces would be stale: drop it
        assert fit.reproduced != bool(obs.miss_reason), (obs.id, fit.model, obs.observed)
    explained = {f.observation.id for f in fits if f.observation.miss_reason}
    # growth the histories hold flat, a one-month jump reversed the next month, and the
    # model's too fast diversion of scallops (docs/validation.md)
    assert explained == {"marine-exports-2023", "hong-kong-september", "scallops-2023"}


def test_the_ban_takes_most_of_china_bound_trade_and_diverts_it(solved) -> None:
    fits, _, _ = solved
    by_id = {f.observation.id: f.model for f in fits}
    assert -95 < by_id["china-sep-nov"] < -80  # pearls, coral and carp kept trading
    assert by_id["hokkaido-price-fy2023"] < by_id["hokkaido-volume-fy2023"] < 0
    # the United States overtakes China as Japan's largest market in FY2023
    assert by_id["usa-share-fy2023"] > by_id["china-share-fy2023"]
    assert by_id["usa-october"] > 8  # observed +18%, tolerance 10


def test_the_fit_leaves_out_only_figures_the_model_cannot_hold(solved) -> None:
    fits, _, _ = solved
    left_out = {f.observation.id for f in fits if not f.observation.fitted}
    assert left_out == {"marine-exports-2023", "hong-kong-september"}
    by_hand = sum(
        ((f.model - f.observation.observed) / f.observation.tolerance) ** 2
        for f in fits
        if f.observation.id not in left_out
    )
    assert loss(fits) == pytest.approx(by_hand, rel=1e-12)


def test_a_row_on_two_sectors_is_the_sum_of_both(solved) -> None:
    fits, treated, untreated = solved
    dataset = treated.scenario.dataset
    s = [dataset.sectors.index(name) for name in ("seafood", "scallops")]
    o, d = dataset.regions.index("JPN"), dataset.regions.index("USA")
    window = (dt.date(2023, 10, 1), dt.date(2023, 11, 1))
    with_ban = window_values(treated.path, window)[s, o, d].sum()
    without = window_values(untreated.path, window)[s, o, d].sum()
    model = {f.observation.id: f.model for f in fits}
    assert model["usa-october"] == pytest.approx(100 * (with_ban / without - 1), rel=1e-12)
    # a share is of all exports abroad, home sales excluded
    fy = (dt.date(2023, 4, 1), dt.date(2024, 4, 1))
    values = window_values(treated.path, fy)[s, o].sum(axis=0)
    share = 100 * values[d] / (values.sum() - values[o])
    assert model["usa-share-fy2023"] == pytest.approx(share, rel=1e-12)


def test_an_observation_without_a_tolerance_is_refused(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "sim" / "data" / "observations-2023.yaml").read_text()
    bad = tmp_path / "observations.yaml"
    bad.write_text(text.replace("    tolerance: 10\n", "", 1))
    with pytest.raises(InputError, match="tolerance"):
        load_observations(bad)


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
    keys = [(sector, "JPN", "CHN") for sector in ("seafood", "scallops")]
    # a year from the quarterly rates of flows.csv: each quarter weighted by its days
    csv_change = 100 * (
        sum(with_ban[(q, *k)] * n for q, n in days.items() for k in keys)
        / sum(without[(q, *k)] * n for q, n in days.items() for k in keys)
        - 1
    )
    key = keys[0]
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
    assert all(np.isfinite(float(r["model"])) for r in rows)
    assert {r["unit"] for r in rows} == {"% change", "% of exports", "JPY bn"}


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


def test_the_table_in_validation_md_is_the_fit(solved) -> None:
    fits, _, _ = solved
    text = (Path(__file__).parents[1] / "docs" / "validation.md").read_text()
    section = text[text.index("## 2.") : text.index("![Monthly path")]
    rows = [line.split("|")[1:-1] for line in section.splitlines() if line.startswith("| ")]
    rows = [[cell.strip() for cell in row] for row in rows[1:]]  # the header row first
    assert len(rows) == len(fits)
    for row, fit in zip(rows, fits, strict=True):
        observed, model, error, tolerance = (float(cell) for cell in row[3:7])
        assert observed == pytest.approx(fit.observation.observed, abs=1e-9)
        assert (model, error) == (round(fit.model, 1), round(fit.error, 1))
        assert tolerance == fit.observation.tolerance
        assert row[8].startswith("yes") == fit.reproduced
