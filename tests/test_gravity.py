"""Structural-gravity GE: peer figures (gegravity), adding-up, ACR welfare, invariants, errors."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.gravity.dataset import load_gravity_dataset
from sim.gravity.run import GravityRunResult
from sim.gravity.solve import modelled_baseline, scale_matrix, solve_exact
from sim.gravity.synthetic import synthetic_sample
from sim.models import run_any
from tests.conftest import ROOT, SCENARIOS

PEER = ROOT / "tests" / "data" / "gegravity"
EXACT = SCENARIOS / "gravity-can-jpn-pta.yaml"
COMPATIBLE = SCENARIOS / "gravity-can-jpn-pta-gegravity.yaml"


@cache
def run(path: Path) -> GravityRunResult:
    result = run_any(path)
    assert isinstance(result, GravityRunResult)
    return result


def peer_countries() -> dict[str, dict[str, float]]:
    with (PEER / "CAN_JPN_PTA_country_results.csv").open() as handle:
        return {
            row[""]: {k: float(v) for k, v in row.items() if k} for row in csv.DictReader(handle)
        }


def peer_pairs() -> dict[tuple[str, str], dict[str, float]]:
    with (PEER / "CAN_JPN_PTA_bilateral_results.csv").open() as handle:
        return {
            (row["exporter"], row["importer"]): {
                k: float(v) for k, v in row.items() if k not in ("exporter", "importer")
            }
            for row in csv.DictReader(handle)
        }


def column(table: dict[str, dict[str, float]], regions: tuple[str, ...], name: str) -> np.ndarray:
    return np.array([table[r][name] for r in regions])


def test_gegravity_compatible_closure_reproduces_gegravity_country_results() -> None:
    s = run(COMPATIBLE).path
    peer = peer_countries()
    assert sorted(peer) == list(s.regions)
    levels = {
        "baseline imr": s.baseline_inward,
        "experiment imr": s.inward,
        "baseline omr": s.baseline_outward,
        "experiment omr": s.outward,
        "experiment output": s.output,
        "experiment expenditure": s.expenditure,
        "baseline modeled foreign exports": (s.baseline_flows * (1 - np.eye(30))).sum(axis=1),
        "experiment foreign exports": (s.flows * (1 - np.eye(30))).sum(axis=1),
        "experiment foreign imports": (s.flows * (1 - np.eye(30))).sum(axis=0),
        "experiment modeled intranational trade": np.diag(s.flows),
    }
    for name, mine in levels.items():
        np.testing.assert_allclose(mine, column(peer, s.regions, name), rtol=1e-6, err_msg=name)
    # percent changes: compared as levels 1 + change/100 (changes of 0.003% carry gegravity's
    # solver tolerance of 1e-8 in their last digits)
    changes = {
        "factory gate price change (percent)": s.price,
        "imr change (percent)": s.inward / s.baseline_inward,
        "terms of trade change (percent)": (s.price / s.inward) * s.baseline_inward,
        "GDP change (percent)": (s.output / s.inward) / (s.baseline_output / s.baseline_inward),
        "foreign exports change (percent)": (s.flows * (1 - np.eye(30))).sum(axis=1)
        / (s.baseline_flows * (1 - np.eye(30))).sum(axis=1),
    }
    for name, ratio in changes.items():
        theirs = 1 + column(peer, s.regions, name) / 100
        np.testing.assert_allclose(ratio, theirs, rtol=1e-6, err_msg=name)
    # gegravity's welfare statistic is baseline over experiment real expenditure
    welfare = (s.baseline_expenditure / s.baseline_inward) / (s.expenditure / s.inward)
    np.testing.assert_allclose(welfare, column(peer, s.regions, "welfare statistic"), rtol=1e-6)


def test_gegravity_compatible_closure_reproduces_gegravity_bilateral_results() -> None:
    s = run(COMPATIBLE).path
    peer = peer_pairs()
    index = {code: k for k, code in enumerate(s.regions)}
    assert len(peer) == 900
    for (exporter, importer), row in peer.items():
        i, j = index[exporter], index[importer]
        assert s.baseline_flows[i, j] == pytest.approx(row["baseline modeled trade"], rel=1e-6)
        assert s.flows[i, j] == pytest.approx(row["experiment trade"], rel=1e-6)


def test_gegravity_compatible_flows_do_not_add_up_but_the_exact_closure_clears_all_markets() -> (
    None
):
    peer = run(COMPATIBLE)
    gap = peer.path.flows.sum(axis=0) / peer.path.expenditure - 1
    assert 1e-4 < np.max(np.abs(gap)) < 5e-3
    assert peer.run["solver"][0]["largest_expenditure_gap"] == pytest.approx(
        np.max(np.abs(gap)), rel=1e-5
    )
    s = run(EXACT).path
    np.testing.assert_allclose(s.flows.sum(axis=1), s.output, rtol=1e-10)
    np.testing.assert_allclose(s.flows.sum(axis=0), s.expenditure, rtol=1e-10)
    np.testing.assert_allclose(s.baseline_flows.sum(axis=1), s.baseline_output, rtol=1e-10)
    np.testing.assert_allclose(s.baseline_flows.sum(axis=0), s.baseline_expenditure, rtol=1e-10)
    dataset = load_gravity_dataset("gegravity-sample-2006")
    assert s.inward[dataset.reference_index] == pytest.approx(1.0, abs=1e-12)
    # E_j = phi_j Y_j with phi fixed up to the common scale
    phi_ratio = (s.expenditure / s.output) / (s.baseline_expenditure / s.baseline_output)
    np.testing.assert_allclose(phi_ratio, phi_ratio[0], rtol=1e-12)
    # the agreement's members gain, and the exact and peer closures agree to a few percent
    k = {code: n for n, code in enumerate(s.regions)}
    for code in ("CAN", "JPN"):
        mine = s.expenditure[k[code]] / s.inward[k[code]]
        base = s.baseline_expenditure[k[code]] / s.baseline_inward[k[code]]
        assert mine > base


def test_exact_closure_gives_the_acr_welfare_formula_with_balanced_trade() -> None:
    """Arkolakis, Costinot & Rodriguez-Clare (2012): W^ = pi^_jj^(1/(1-sigma))."""
    dataset = load_gravity_dataset("gegravity-sample-2006")
    costs = dataset.costs()
    sigma, ref = dataset.sigma, dataset.reference_index
    baseline = modelled_baseline(costs, dataset.output, dataset.output.copy(), sigma, ref)
    rng = np.random.default_rng(3)
    change = np.exp(rng.normal(0.0, 0.3, size=costs.shape))
    np.fill_diagonal(change, 1.0)
    result = solve_exact(baseline, change, sigma, ref)
    welfare = (result.expenditure / result.inward) / (baseline.expenditure / baseline.inward)
    home_before = np.diag(baseline.flows) / baseline.expenditure
    home_after = np.diag(result.flows) / result.expenditure
    acr = (home_after / home_before) ** (1 / (1 - sigma))
    np.testing.assert_allclose(welfare, acr, rtol=1e-10)
    assert np.ptp(welfare) > 0.01  # the shock moved welfare visibly


@pytest.mark.parametrize("closure", ["exact", "fixed-deficits", "gegravity-compatible"])
def test_no_policy_reproduces_the_baseline(closure: str, tmp_path: Path) -> None:
    scenario = tmp_path / "none.yaml"
    scenario.write_text(
        "name: none\nmodel: gravity\ndataset: gegravity-sample-2006\n"
        f"gravity: {{closure: {closure}}}\npolicies: []\n"
    )
    s = run_any(scenario).path
    np.testing.assert_allclose(s.flows, s.baseline_flows, rtol=1e-12)
    np.testing.assert_allclose(s.price, 1.0, rtol=1e-12)
    np.testing.assert_allclose(s.inward, s.baseline_inward, rtol=1e-12)
    np.testing.assert_allclose(s.outward, s.baseline_outward, rtol=1e-12)
    np.testing.assert_allclose(s.expenditure, s.baseline_expenditure, rtol=1e-12)


def test_fixed_deficits_closure_keeps_deficits_and_clears(tmp_path: Path) -> None:
    scenario = tmp_path / "deficits.yaml"
    scenario.write_text(f"extends: {EXACT}\nname: deficits\ngravity: {{closure: fixed-deficits}}\n")
    s = run_any(scenario).path
    np.testing.assert_allclose(
        s.expenditure - s.output, s.baseline_expenditure - s.baseline_output, atol=1e-6
    )
    np.testing.assert_allclose(s.flows.sum(axis=0), s.expenditure, rtol=1e-10)
    np.testing.assert_allclose(s.flows.sum(axis=1), s.output, rtol=1e-10)


def test_a_ban_removes_the_flow_and_a_tariff_lowers_it(tmp_path: Path) -> None:
    scenario = tmp_path / "ban.yaml"
    scenario.write_text(
        "name: ban\nmodel: gravity\ndataset: gegravity-sample-2006\npolicies:\n"
        "  - {id: b, type: ban, exporters: JPN, importers: USA}\n"
        "  - {id: t, type: tariff, rate: 0.25, exporters: CHN, importers: USA}\n"
        "  - {id: c, type: trade_cost, cost: -0.05, exporters: all, importers: MEX}\n"
    )
    s = run_any(scenario).path
    k = {code: n for n, code in enumerate(s.regions)}
    assert s.flows[k["JPN"], k["USA"]] == 0.0
    assert s.flows[k["CHN"], k["USA"]] < 0.6 * s.baseline_flows[k["CHN"], k["USA"]]
    foreign = 1 - np.eye(len(s.regions))
    mexico = k["MEX"]
    assert (s.flows * foreign)[:, mexico].sum() > (s.baseline_flows * foreign)[:, mexico].sum()
    np.testing.assert_allclose(s.flows.sum(axis=1), s.output, rtol=1e-10)


@pytest.mark.parametrize("n", [2, 100, 300])
def test_synthetic_samples_solve_to_machine_precision(n: int) -> None:
    sample = synthetic_sample(n, seed=n)
    costs = sample.costs()
    expenditure = sample.expenditure * sample.output.sum() / sample.expenditure.sum()
    baseline = modelled_baseline(costs, sample.output, expenditure, 5.0, 0)
    change = np.ones_like(costs)
    change[0, 1] = change[1, 0] = np.exp(0.4711383)
    result = solve_exact(baseline, change, 5.0, 0)
    np.testing.assert_allclose(result.flows.sum(axis=1), result.output, rtol=1e-10)
    np.testing.assert_allclose(result.flows.sum(axis=0), result.expenditure, rtol=1e-10)
    assert result.iterations < 20


def test_scaling_matches_the_wanted_sums_for_costs_spanning_many_orders() -> None:
    rng = np.random.default_rng(0)
    costs = np.exp(rng.normal(0, 8, size=(40, 40)))
    rows = rng.uniform(1, 2, 40)
    cols = rng.uniform(1, 2, 40)
    cols *= rows.sum() / cols.sum()
    scaled = scale_matrix(costs, rows, cols).matrix(costs)
    np.testing.assert_allclose(scaled.sum(axis=1), rows, rtol=1e-12)
    np.testing.assert_allclose(scaled.sum(axis=0), cols, rtol=1e-12)


def test_cli_run_writes_the_indicators(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(EXACT), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    with (tmp_path / "gravity-can-jpn-pta" / "indicators.csv").open() as handle:
        names = {row["indicator"] for row in csv.DictReader(handle)}
    assert names == {
        "factory_gate_price",
        "inward_multilateral_resistance",
        "outward_multilateral_resistance",
        "real_gdp",
        "welfare",
        "terms_of_trade",
        "output",
        "expenditure",
        "foreign_exports",
        "foreign_imports",
        "intranational_trade",
    }


BAD = [
    (
        "  - {id: q, type: quota, share: 0.5, exporters: JPN, importers: USA}\n",
        "policies[0].type: policy type 'quota' does not apply to the gravity model",
    ),
    (
        "  - {id: q, type: ban, start: 2024-01-01, exporters: JPN, importers: USA}\n",
        "policies[0].start: a gravity scenario is static",
    ),
    (
        "  - {id: q, type: covariate, variable: fta, value: 1, exporters: JPN, importers: USA}\n",
        "policies[0].variable: unknown cost covariate 'fta'",
    ),
    (
        "  - {id: q, type: ban, exporters: JPX, importers: USA}\n",
        "policies[0].exporters: unknown region 'JPX'",
    ),
]


@pytest.mark.parametrize(("policy", "message"), BAD)
def test_bad_gravity_scenarios_get_one_line_and_exit_2(
    policy: str, message: str, tmp_path: Path
) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(
        "name: bad\nmodel: gravity\ndataset: gegravity-sample-2006\npolicies:\n" + policy
    )
    result = CliRunner().invoke(main, ["run", str(scenario), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "bad.yaml:5:" in lines[0] and message in lines[0], lines[0]
    assert not (tmp_path / "out").exists()


def test_a_bad_bilateral_row_names_the_csv_line_and_column(tmp_path: Path) -> None:
    source = ROOT / "sim" / "data"
    header = (source / "gegravity-sample-2006.yaml").read_text()
    rows = (source / "gegravity-sample-2006.csv").read_text().splitlines()
    rows[7] = rows[7].replace(",2006,", ",2006,lots,", 1).replace(",", ",", 1)
    parts = rows[7].split(",")
    del parts[4]
    rows[7] = ",".join(parts)
    (tmp_path / "gegravity-sample-2006.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "data.yaml").write_text(header)
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\nmodel: gravity\ndataset: data.yaml\n")
    result = CliRunner().invoke(main, ["validate", str(scenario)])
    assert result.exit_code == 2
    assert "gegravity-sample-2006.csv:8: trade: expected a number, got 'lots'" in result.output


def test_a_partial_equilibrium_scenario_cannot_use_a_gravity_dataset(tmp_path: Path) -> None:
    scenario = tmp_path / "pe.yaml"
    scenario.write_text("name: pe\ndataset: gegravity-sample-2006\nstart: 2023Q1\nend: 2023Q4\n")
    result = CliRunner().invoke(main, ["validate", str(scenario)])
    assert result.exit_code == 2
    assert "needs 'model: gravity'" in result.output


def test_compare_works_on_gravity_results(tmp_path: Path) -> None:
    runner = CliRunner()
    for path in (EXACT, COMPATIBLE):
        assert runner.invoke(main, ["run", str(path), "--out", str(tmp_path)]).exit_code == 0
    result = runner.invoke(
        main,
        [
            "compare",
            str(tmp_path / "gravity-can-jpn-pta"),
            str(tmp_path / "gravity-can-jpn-pta-gegravity"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "welfare" in result.output and "CAN" in result.output


def test_monte_carlo_draws_of_a_gravity_scenario_give_bands_independent_of_the_executor(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "mc.yaml"
    scenario.write_text(
        f"name: mc\nextends: {EXACT}\nuncertainty:\n"
        "  sigma: {dist: uniform, low: 4, high: 6}\n"
        "  cost_coefficients.pta: {dist: normal, mean: 0.4711383, sd: 0.1076578}\n"
        "  policies.can-jpn-pta.value: {dist: uniform, low: 0.5, high: 1}\n"
    )
    runner = CliRunner()
    outputs = []
    for extra in ([], ["--workers", "2"]):
        out = tmp_path / f"out{len(extra)}"
        args = ["run", str(scenario), "--out", str(out), "--draws", "60", "--seed", "3"]
        result = runner.invoke(main, args + extra)
        assert result.exit_code == 0, result.output
        assert "5-95% range over 60 draws" in result.output
        outputs.append((out / "mc" / "indicators.csv").read_text())
    assert outputs[0] == outputs[1]
    rows = list(csv.DictReader(outputs[0].splitlines()))
    welfare = next(r for r in rows if r["region"] == "CAN" and r["indicator"] == "welfare")
    assert float(welfare["change_p05"]) < float(welfare["change"]) < float(welfare["change_p95"])


def test_a_gravity_uncertainty_key_must_name_a_parameter(tmp_path: Path) -> None:
    scenario = tmp_path / "mc.yaml"
    scenario.write_text(
        f"name: mc\nextends: {EXACT}\nuncertainty:\n"
        "  cost_coefficients.tariff: {dist: uniform, low: 4, high: 6}\n"
    )
    result = CliRunner().invoke(main, ["validate", str(scenario)])
    assert result.exit_code == 2
    assert "mc.yaml:4:3: uncertainty.cost_coefficients.tariff: unknown cost coefficient" in (
        result.output
    )


def test_sources_lists_the_gravity_dataset_figures_with_their_sources() -> None:
    result = CliRunner().invoke(main, ["sources", "gegravity-sample-2006", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.output.splitlines()))
    items = {row["item"]: row for row in rows}
    assert items["beta.pta"]["value"] == "0.4711383"
    assert items["beta.pta"]["source"] == "gegravity-ppml"
    assert items["bilateral.rows"]["value"] == "900"
    assert all(row["citation"] for row in rows)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(min_value=2, max_value=12),
    seed=st.integers(min_value=0, max_value=10_000),
    spread=st.floats(min_value=0.0, max_value=1.5),
    sigma=st.floats(min_value=1.5, max_value=12.0),
    deficits=st.booleans(),
)
# Large cost shocks with a low sigma, which clearing equations in levels could not solve.
@example(n=3, seed=3, spread=1.5, sigma=1.5, deficits=False)
def test_every_counterfactual_clears_all_markets_whatever_the_shock(
    n: int, seed: int, spread: float, sigma: float, deficits: bool
) -> None:
    sample = synthetic_sample(n, seed=seed)
    costs = sample.costs()
    expenditure = sample.expenditure * sample.output.sum() / sample.expenditure.sum()
    baseline = modelled_baseline(costs, sample.output, expenditure, sigma, n - 1)
    rng = np.random.default_rng(seed)
    change = np.exp(rng.normal(0.0, spread, size=costs.shape))
    np.fill_diagonal(change, 1.0)
    result = solve_exact(baseline, change, sigma, n - 1, fixed_deficits=deficits)
    np.testing.assert_allclose(result.flows.sum(axis=1), result.output, rtol=1e-10)
    np.testing.assert_allclose(result.flows.sum(axis=0), result.expenditure, rtol=1e-10)
    assert result.inward[n - 1] == pytest.approx(1.0, rel=1e-10)
    if not deficits:
        # homogeneity: scaling every cost (home ones too) by 2 scales all prices, values
        # and flows by one common factor and leaves every share as it was
        scaled = solve_exact(baseline, change * 2.0, sigma, n - 1)
        factor = scaled.price / result.price
        np.testing.assert_allclose(factor, factor[0], rtol=1e-9)
        np.testing.assert_allclose(scaled.flows, result.flows * factor[0], rtol=1e-9)


def test_setting_a_covariate_to_its_baseline_value_changes_nothing(tmp_path: Path) -> None:
    scenario = tmp_path / "same.yaml"
    scenario.write_text(
        "name: same\nmodel: gravity\ndataset: gegravity-sample-2006\npolicies:\n"
        "  - {id: p, type: covariate, variable: pta, value: 1, exporters: USA, importers: CAN}\n"
    )
    s = run_any(scenario).path
    np.testing.assert_allclose(s.flows, s.baseline_flows, rtol=1e-12)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: x\nmodel: gravity\ndataset: gegravity-sample-2006\nstart: 2024Q1\n",
            "x.yaml:4:1: start: a gravity scenario is static",
        ),
        (
            "name: x\ndataset: japan-china-2022\nstart: 2024Q1\nend: 2024Q4\n"
            "gravity: {closure: exact}\n",
            "x.yaml:5:1: gravity: the gravity block needs 'model: gravity'",
        ),
        (
            "name: x\nmodel: gravity\ndataset: gegravity-sample-2006\ngravity: {closure: lax}\n",
            "x.yaml:4:20: gravity.closure: unknown value 'lax'",
        ),
        (
            "name: x\nmodel: gravity\ndataset: japan-china-2022\n",
            "japan-china-2022.yaml:5:1: not a gravity dataset (its header has no 'model: gravity')",
        ),
    ],
)
def test_gravity_scenario_level_errors(text: str, message: str, tmp_path: Path) -> None:
    scenario = tmp_path / "x.yaml"
    scenario.write_text(text)
    result = CliRunner().invoke(main, ["validate", str(scenario)])
    assert result.exit_code == 2
    assert message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


def test_exact_closure_keeps_expenditure_a_common_multiple_of_output() -> None:
    result = run(EXACT)
    s = result.path
    kappa = (s.expenditure / s.output) / (s.baseline_expenditure / s.baseline_output)
    np.testing.assert_allclose(kappa, kappa[0], rtol=1e-12)
    assert result.run["solver"][0]["expenditure_scale_change"] == pytest.approx(kappa[0])
    assert s.expenditure.sum() == pytest.approx(s.output.sum(), rel=1e-12)
