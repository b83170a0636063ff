"""Government purchases: output bought off the market, against a hand-computed case."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.model import Baseline, Elasticities, evaluate
from sim.scenario import load_scenario
from sim.solve import solve_period
from sim.welfare import welfare
from tests.conftest import make_policy


def one_market() -> tuple[Baseline, Elasticities]:
    """Producer 0 sells 60 at home and 40 to region 1; region 1 also buys 100 from itself."""
    flows = np.array([[[60.0, 40.0], [0.0, 100.0]]])
    elasticities = Elasticities(
        sigma=np.array([[2.0, 2.0]]), eps=np.array([[1.0, 1.0]]), eta=np.array([[1.0, 1.0]])
    )
    return Baseline(flows, np.zeros_like(flows)), elasticities


def test_a_purchase_by_volume_clears_the_market_at_the_hand_computed_price() -> None:
    """Buying 10 of producer 0's output: supply covers private buyers and the state.

    Producer 0 is the only supplier of its home market, so with eps = 1 home buyers spend
    a fixed 60: they buy ``60 / p``. Its supply is ``100 p`` (eta = 1).
    """
    baseline, elasticities = one_market()
    volume = np.array([[10.0, 0.0]])
    policy = make_policy(baseline, purchase_volume=volume)
    x, _ = solve_period(baseline, policy, elasticities)
    eq = evaluate(x, baseline, policy, elasticities)
    p0 = eq.producer_price[0, 0]
    # Producer 0: supply 100 p0 = home 60 p0^-1 (sole home supplier, eps = 1) + exports + 10.
    assert eq.supply[0, 0] == pytest.approx(100.0 * p0, rel=1e-12)
    assert eq.demand[0, 0, 0] == pytest.approx(60.0 / p0, rel=1e-9)
    assert eq.supply[0, 0] == pytest.approx(eq.demand[0, 0].sum() + 10.0, rel=1e-9)
    assert p0 > 1.0  # the state's demand raises the price the market pays
    assert eq.demand[0, 0].sum() < 100.0  # and private buyers get less


def test_a_purchase_that_stops_nothing_clears_at_a_known_price() -> None:
    """Closed economy, one producer, eta = 1, eps = 1: 100 p = 100 / p + G, solved exactly."""
    flows = np.array([[[100.0]]])
    baseline = Baseline(flows, np.zeros_like(flows))
    elasticities = Elasticities(np.array([[3.0]]), np.array([[1.0]]), np.array([[1.0]]))
    for volume, spending in ((21.0, 0.0), (0.0, 21.0)):
        policy = make_policy(
            baseline,
            purchase_volume=np.array([[volume]]),
            purchase_spending=np.array([[spending]]),
        )
        x, _ = solve_period(baseline, policy, elasticities)
        p = float(np.exp(x[0, 0]))
        if volume:  # 100 p^2 - 21 p - 100 = 0
            exact = (21.0 + np.sqrt(21.0**2 + 4 * 100.0 * 100.0)) / 200.0
        else:  # 100 p = 100 / p + 21 / p  ->  p^2 = 1.21
            exact = 1.1
        assert p == pytest.approx(exact, rel=1e-10)
        eq = evaluate(x, baseline, policy, elasticities)
        parts = welfare(baseline, policy, elasticities, eq)
        bought = volume if volume else spending / p
        assert parts["purchase_cost"][0, 0] == pytest.approx(-p * bought, rel=1e-10)
        # The producers gain, the buyers lose, the state pays: the total counts all three.
        assert parts["producer_surplus"][0, 0] > 0 > parts["consumer_surplus"][0, 0]
        total = sum(parts[k] for k in ("consumer_surplus", "producer_surplus", "purchase_cost"))
        assert parts["total"][0, 0] == pytest.approx(total[0, 0], rel=1e-12)


def test_a_purchase_scenario_validates_runs_and_books_its_cost(tmp_path: Path) -> None:
    path = tmp_path / "buy.yaml"
    path.write_text(
        "name: buy\nstart: 2023Q3\nend: 2024Q2\npolicies:\n"
        "  - id: scallops\n    type: purchase\n    sector: seafood\n    exporters: [JPN]\n"
        "    spending: 40\n    start: 2023-10-01\n    end: 2024-04-01\n"
    )
    scenario = load_scenario(path)
    assert scenario.policies[0].spending == 40.0
    assert scenario.policies[0].start == dt.date(2023, 10, 1)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = (out / "buy" / "welfare.csv").read_text().splitlines()
    header = rows[0].split(",")
    at = header.index("purchase_cost")
    cost = {
        r.split(",")[0]: float(r.split(",")[at])
        for r in rows[1:]
        if r.split(",")[1:3] == ["JPN", "seafood"]
    }
    assert cost["2023Q3"] == 0.0 and cost["2024Q2"] == 0.0
    # 40 a year for two quarters, at the market's prices: a quarter's cost is 40 / 4.
    assert cost["2023Q4"] == pytest.approx(-10.0, rel=1e-9)
    assert cost["2024Q1"] == pytest.approx(-10.0, rel=1e-9)


def test_a_purchase_needs_exactly_one_amount(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\nstart: 2023Q3\nend: 2024Q2\npolicies:\n"
        "  - id: scallops\n    type: purchase\n    sector: seafood\n    exporters: [JPN]\n"
        "    spending: 40\n    volume: 10\n    start: 2023-10-01\n"
    )
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "bad.yaml:9:15: policies[0].spending: a purchase needs exactly one of" in result.output


def test_the_worked_purchase_of_the_docs_runs_from_a_dataset_as_computed_by_hand(
    tmp_path: Path,
) -> None:
    """docs/scenarios.md: a state buys V = 20 a year of a home market of 100 (eps 1, eta 0.25).

    Buyers spend a fixed 100, so supply ``100 p^0.25`` clears against ``100 / p + 20 / p``:
    ``p^1.25 = 1.2``, ``p = 1.2^0.8 = 1.1570``. A quarter's welfare: buyers
    ``-100 ln p / 4``, producers ``100 (p^1.25 - 1) / 1.25 / 4 = 4``, the state ``-20 / 4``.
    """
    dataset = Path(__file__).parent / "data" / "purchase-example.yaml"
    path = tmp_path / "buy.yaml"
    path.write_text(
        f"name: buy\ndataset: {dataset}\nstart: 2023Q1\nend: 2023Q4\npolicies:\n"
        "  - id: scallop-purchase\n    type: purchase\n    sector: scallops\n"
        "    exporters: [JPN]\n    spending: 20\n    start: 2023-04-01\n    end: 2023-10-01\n"
    )
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    prices = list(csv.DictReader((out / "buy" / "prices.csv").open()))
    price = {(r["period"], r["region"]): float(r["producer_price"]) for r in prices}
    p = 1.2**0.8
    # the CSV holds six decimals
    assert price[("2023Q1", "JPN")] == 1.0 and price[("2023Q4", "JPN")] == 1.0
    for quarter in ("2023Q2", "2023Q3"):
        assert price[(quarter, "JPN")] == pytest.approx(p, abs=1e-6)
        assert price[(quarter, "ROW")] == 1.0  # no trade, so no spill-over
    rows = list(csv.DictReader((out / "buy" / "welfare.csv").open()))
    q2 = next(
        r
        for r in rows
        if r["period"] == "2023Q2" and r["region"] == "JPN" and r["sector"] == "scallops"
    )
    assert float(q2["consumer_surplus"]) == pytest.approx(-100 * np.log(p) / 4, abs=1e-6)
    assert float(q2["producer_surplus"]) == pytest.approx(100 * (p**1.25 - 1) / 1.25 / 4, abs=1e-6)
    assert float(q2["purchase_cost"]) == pytest.approx(-20 / 4, abs=1e-6)
