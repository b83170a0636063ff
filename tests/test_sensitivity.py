"""tradesim sensitivity: SALib rankings of a shipped scenario's uncertain parameters."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main
from tests.conftest import SCENARIOS

LIFTED = str(SCENARIOS / "seafood-ban-lifted.yaml")
CHINA = ["--indicator", "exports", "--sector", "seafood", "--region", "JPN", "--partner", "CHN"]


def _ranked(tmp_path: Path, *options: str) -> list[dict[str, str]]:
    out = tmp_path / "ranked.csv"
    # A stated seed: with 16 Sobol samples the estimate of a total index near 1 ranges
    # from about 0.6 to 1.7 over seeds, and a test must not depend on the seed chosen.
    command = ["sensitivity", LIFTED, *options, "--seed", "1", "--out", str(out)]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    with open(out, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_morris_puts_the_ban_coverage_first_for_china_bound_seafood(tmp_path: Path) -> None:
    rows = _ranked(tmp_path, *CHINA, "--samples", "10")
    assert [int(r["rank"]) for r in rows] == list(range(1, 8))
    # The share of trade the ban stops moves the China-bound flow directly; the other
    # parameters only move it through diversion while the ban is in force.
    assert rows[0]["parameter"] == "policies.seafood-ban.coverage"
    stars = [float(r["mu_star"]) for r in rows]
    assert stars == sorted(stars, reverse=True)
    assert stars[0] > 5 * stars[1]
    assert all(float(r["mu_star_conf"]) >= 0 for r in rows)


def test_a_figure_no_parameter_touches_has_zero_effects(tmp_path: Path) -> None:
    rows = _ranked(
        tmp_path,
        "--indicator",
        "exports",
        "--sector",
        "chip_tools",
        "--region",
        "JPN",
        "--partner",
        "CHN",
        "--samples",
        "4",
    )
    assert all(float(r["mu_star"]) == pytest.approx(0.0, abs=1e-9) for r in rows)


def test_sobol_total_indices_rank_the_coverage_first_and_chart(tmp_path: Path) -> None:
    chart = tmp_path / "sobol.png"
    rows = _ranked(tmp_path, *CHINA, "--method", "sobol", "--samples", "16", "--chart", str(chart))
    assert rows[0]["parameter"] == "policies.seafood-ban.coverage"
    assert float(rows[0]["ST"]) > 0.5
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--indicator", "welfare"],
            "Error: welfare matches 6 rows; choose with --region: ASE, CHN, HKG, JPN, ROW, USA",
        ),
        (
            ["--indicator", "exprts"],
            "Error: --indicator: unknown summary indicator 'exprts'; known: exports, "
            "producer_price_last_quarter, satellite_producer_price_last_quarter, "
            "satellite_sales, welfare, welfare_pct_gdp",
        ),
        (
            [*CHINA, "--method", "sobol", "--samples", "10"],
            "Error: --samples: Sobol sampling needs a power of 2, got 10",
        ),
    ],
)
def test_bad_choices_get_one_line_and_exit_2(options: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["sensitivity", LIFTED, *options])
    assert result.exit_code == 2
    assert result.output.splitlines() == [message]


def test_a_scenario_without_uncertainty_is_refused() -> None:
    baseline = SCENARIOS / "baseline.yaml"
    result = CliRunner().invoke(main, ["sensitivity", str(baseline), "--indicator", "welfare"])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"Error: {baseline}: sensitivity needs an 'uncertainty' block naming the parameters "
        "to vary (see docs/uncertainty.md)"
    ]
