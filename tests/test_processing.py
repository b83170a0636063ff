"""Processing trade: routes origin -> processor -> destination as channels of one variety.

The dataset is tests/data/processing-routes.yaml: Japan's good reaches the United States
directly (20), through China (a quarter of the recorded 40 to China, margin 30%) and
through ASE (2, margin 20%). Tolerances: 1e-12 where two computations must agree up to
rounding; 1e-9 (relative) against the solver, which clears markets to 1e-10 in log terms.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.dataset import load_dataset
from sim.model import Elasticities, evaluate
from sim.processing import Routes, channel_policy, processing_baseline, recorded_flows
from sim.scenario import load_scenario
from sim.scenario_path import solve_scenario
from sim.solve import solve_period
from sim.timepath import PathSolution
from tests.conftest import DATA, make_policy

DATASET = DATA / "processing-routes.yaml"
JPN, CHN, USA, ASE = 0, 1, 2, 3


def run(tmp_path: Path, policies: str, dataset: Path = DATASET, name: str = "s") -> PathSolution:
    """Solve a scenario on ``dataset`` from 2023Q1 to 2024Q4 with the given policy YAML."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"name: {name}\ndataset: {dataset}\nstart: 2023Q1\nend: 2024Q4\n"
        + (f"policies:\n{policies}" if policies else "")
    )
    return solve_scenario(load_scenario(path))


def policy(kind: str, exporter: str, importer: str, extra: str) -> str:
    return (
        f"  - id: p\n    type: {kind}\n    sector: seafood\n    exporters: [{exporter}]\n"
        f"    importers: [{importer}]\n    start: 2023-04-01\n{extra}"
    )


def exports(values: np.ndarray, origin: int) -> float:
    row = values[0, origin].copy()
    row[origin] = 0.0
    return float(row.sum())


def test_routes_are_read_from_shares_and_values() -> None:
    routes = load_dataset(DATASET).routes
    assert list(routes.processor) == [CHN, ASE]
    np.testing.assert_allclose(routes.quantity, [0.25 * 40, 2.0], rtol=1e-15)
    np.testing.assert_allclose(routes.margin, [0.3, 0.2], rtol=1e-15)
    assert routes.elasticity == 4.0


def test_no_shock_reproduces_the_recorded_baseline_exactly(tmp_path: Path) -> None:
    dataset = load_dataset(DATASET)
    path = run(tmp_path, "")
    for period in (*path.scenario, *path.reference):
        np.testing.assert_allclose(period.value, dataset.flows, rtol=0, atol=1e-12)
        np.testing.assert_allclose(period.volume, dataset.flows, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(period.producer_price, 1.0)


def test_a_zero_route_changes_nothing(tmp_path: Path) -> None:
    text = DATASET.read_text()
    without = tmp_path / "without.yaml"
    without.write_text(text[: text.index("processing:")])
    zero = tmp_path / "zero.yaml"
    zero.write_text(
        text.replace("share: {value: 0.25", "share: {value: 0.0").replace(
            "value: {value: 2,", "value: {value: 0,"
        )
    )
    shock = policy("ban", "JPN", "CHN", "    coverage: 0.8\n")
    a = run(tmp_path, shock, without, "a")
    b = run(tmp_path, shock, zero, "b")
    assert a.scenario[2].value[0, JPN, CHN] < 0.5 * 40  # the shock does bite
    for x, y in zip(a.scenario, b.scenario, strict=True):
        np.testing.assert_allclose(y.value, x.value, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(y.producer_price, x.producer_price, rtol=1e-12)


def test_a_ban_on_the_first_leg_moves_the_route_to_the_direct_channel_as_computed() -> None:
    """Fixed producer prices (eta = inf): every quantity follows from the formulas.

    The ban closes JPN -> CHN, so the route through China too. Channel weights are baseline
    spending at delivered prices: direct 20 x 1, via China 10 x 1.05 x 1.3 x 1.10 (both
    legs' tariffs and the margin), via ASE 2 x 1.2. With rho = 4 the cell's price ratio is
    ``W = (phi_d + phi_ase) ** (1 / (1 - rho))``; the US price index moves with the cell's
    share ``theta``; the direct channel buys ``20 W**(rho - sigma) P**(sigma - eps)``.
    """
    dataset = load_dataset(DATASET)
    baseline = processing_baseline(dataset.flows, dataset.tariffs, dataset.routes)
    sigma, eps, rho = 2.5, 0.8, 4.0
    shape = (1, 4)
    elasticities = Elasticities(np.full(shape, sigma), np.full(shape, eps), np.full(shape, np.inf))
    availability = np.ones_like(baseline.flows)
    availability[0, JPN, CHN] = 0.0
    legs = make_policy(baseline, availability=availability)
    state, shares = channel_policy(baseline, legs, dataset.routes)
    x, _ = solve_period(baseline, state, elasticities)
    eq = evaluate(x, baseline, state, elasticities)

    direct, via_chn, via_ase = 20.0, 10.0 * 1.05 * 1.3 * 1.10, 2.0 * 1.2
    cell_spending = direct + via_chn + via_ase
    w = ((direct + via_ase) / cell_spending) ** (1.0 / (1.0 - rho))
    # US spending: JPN's cell, China's own 50 - 13 at a 10% tariff, ASE's 30 - 2.4, home 200.
    spending = {JPN: cell_spending, CHN: 1.1 * 37.0, ASE: 27.6, USA: 200.0}
    total = sum(spending.values())
    index = ((spending[JPN] * w ** (1 - sigma) + total - spending[JPN]) / total) ** (
        1 / (1 - sigma)
    )
    composite = w ** (-sigma) * index ** (sigma - eps)
    direct_q = 20.0 * w**rho * composite
    ase_q = 2.0 * w**rho * composite

    assert eq.price_index[0, USA] == pytest.approx(index, rel=1e-12)
    assert shares[0] == 0.0  # the route through China carries nothing
    assert shares[1] == pytest.approx(ase_q / (direct_q + ase_q), rel=1e-12)
    assert eq.demand[0, JPN, USA] == pytest.approx(direct_q + ase_q, rel=1e-12)
    assert eq.demand[0, JPN, CHN] == 0.0
    cells = eq.producer_price[:, :, None] * eq.demand
    recorded = recorded_flows(cells, shares, dataset.routes)
    assert recorded[0, JPN, USA] == pytest.approx(direct_q, rel=1e-12)
    # The direct channel gains more than the cell loses: buyers turn from China's shelling.
    assert direct_q > 20.0


def test_loosening_a_cost_on_a_leg_never_lowers_the_origins_exports(tmp_path: Path) -> None:
    """Cheaper legs of the origin's own: its exports rise; cheaper processed legs: routes do.

    A processed leg (CHN -> USA) also carries the processor's own goods, which compete with
    the origin's in the destination: a cheaper leg there can lower the origin's total
    exports (it does for a 5% cut on ASE -> USA here), never the volume of the route through it.
    """
    base = run(tmp_path, "", name="base")
    for exporter, importer in (("JPN", "CHN"), ("JPN", "ASE"), ("JPN", "USA")):
        before = exports(base.scenario[-1].value, JPN)
        for cost in (-0.05, -0.15, -0.3):
            path = run(tmp_path, policy("trade_cost", exporter, importer, f"    cost: {cost}\n"))
            now = exports(path.scenario[-1].value, JPN)
            assert now >= before * (1 - 1e-12), (exporter, importer, cost)
            before = now
    for processor, n in (("CHN", 0), ("ASE", 1)):
        before = 1.0
        for cost in (-0.05, -0.15, -0.3):
            path = run(tmp_path, policy("trade_cost", processor, "USA", f"    cost: {cost}\n"))
            seg = path.scenario[-1].segments[-1]
            assert seg.route_shares is not None
            route = seg.route_shares[n] * seg.equilibrium.demand[0, JPN, USA]
            base_route = load_dataset(DATASET).routes.quantity[n]
            assert route / base_route >= before * (1 - 1e-12), (processor, cost)
            before = route / base_route
    cheaper_rival = run(tmp_path, policy("trade_cost", "ASE", "USA", "    cost: -0.05\n"))
    assert exports(cheaper_rival.scenario[-1].value, JPN) < exports(base.scenario[-1].value, JPN)


def test_recorded_legs_add_up_to_the_route_and_its_margin(tmp_path: Path) -> None:
    """After a tariff on the processed leg, every part of every quarter adds up.

    The first leg is the route's share of its cell's value; the processed leg is (1 +
    margin) times it; world trade recorded = the model's cross-border sales + processed legs.
    """
    dataset = load_dataset(DATASET)
    path = run(tmp_path, policy("tariff", "CHN", "USA", "    increase: 0.25\n"))
    off = ~np.eye(4, dtype=bool)[None]
    for period in path.scenario:
        for seg in period.segments:
            assert seg.route_shares is not None
            eq = seg.equilibrium
            cells = eq.producer_price[:, :, None] * eq.demand
            recorded = recorded_flows(cells, seg.route_shares, dataset.routes)
            legs = cells[0, JPN, USA] * seg.route_shares
            processed = legs * (1.0 + dataset.routes.margin)
            moved = recorded - cells
            assert moved[0, JPN, CHN] == pytest.approx(legs[0], rel=1e-12)
            assert moved[0, JPN, ASE] == pytest.approx(legs[1], rel=1e-12)
            assert moved[0, CHN, USA] == pytest.approx(processed[0], rel=1e-12)
            assert moved[0, ASE, USA] == pytest.approx(processed[1], rel=1e-12)
            assert -moved[0, JPN, USA] == pytest.approx(legs.sum(), rel=1e-12)
            world = recorded[off].sum()
            assert world == pytest.approx(cells[off].sum() + processed.sum(), rel=1e-12)
            assert exports(recorded, JPN) == pytest.approx(exports(cells, JPN), rel=1e-12)
    late = path.scenario[-1].value
    assert late[0, CHN, USA] < dataset.flows[0, CHN, USA]  # the tariff bites the processed leg


def test_routes_are_tiled_for_stacked_draws() -> None:
    routes = load_dataset(DATASET).routes
    tiled = routes.tiled(3, 2)
    assert list(tiled.sector) == [0, 0, 2, 2, 4, 4]
    np.testing.assert_array_equal(tiled.quantity, np.tile(routes.quantity, 3))
    assert len(Routes.empty()) == 0


def test_a_route_larger_than_its_recorded_leg_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(DATASET.read_text().replace("margin: {value: 0.3", "margin: {value: 9"))
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"name: s\ndataset: {bad}\nstart: 2023Q1\nend: 2023Q4\n")
    result = CliRunner().invoke(main, ["validate", str(scenario)])
    assert result.exit_code == 2
    assert "bad.yaml:" in result.output
    assert "processing.routes[0]: the routes' processed legs exceed the recorded CHN -> USA" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_a_quota_on_the_first_leg_caps_the_recorded_flow_processing_included(
    tmp_path: Path,
) -> None:
    """Half of the recorded 40 (30 final demand, 10 for processing): the cap is on the 40.

    The quota solver stops when every binding flow is within 1e-10 of its cap in logs.
    """
    path = run(tmp_path, policy("quota", "JPN", "CHN", "    share: 0.5\n"))
    for period in path.scenario[1:]:
        assert period.volume[0, JPN, CHN] == pytest.approx(20.0, rel=1e-9)
        seg = period.segments[-1]
        assert seg.route_shares is not None and seg.route_shares[0] > 0  # the route still runs


def _dense_channel_policy(baseline, policy, routes):  # type: ignore[no-untyped-def]
    """The channel state worked out over whole (sector, origin, destination) arrays."""
    from dataclasses import replace

    from sim.processing import _route_level

    rho = routes.elasticity
    wedge = policy.wedge(baseline)
    tariffs, a = baseline.tariffs, policy.availability
    cell = routes._cell()
    route_q = np.zeros(baseline.flows.shape)
    np.add.at(route_q, cell, routes.quantity)
    total_q = baseline.flows
    direct_q = np.maximum(total_q - route_q, 0.0)
    direct_level = 1.0 + tariffs
    route_level = _route_level(tariffs, routes)
    route_w = wedge[routes._first()] * wedge[routes._second()]
    route_a = a[routes._first()] * a[routes._second()]
    spending = direct_q * direct_level
    np.add.at(spending, cell, routes.quantity * route_level)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        power = direct_q * direct_level * a * wedge ** (1.0 - rho)
        np.add.at(power, cell, routes.quantity * route_level * route_a * route_w ** (1.0 - rho))
        has_route = route_q > 0
        open_ = has_route & (power > 0)
        power = np.where(open_, power / np.where(spending > 0, spending, 1.0), 1.0)
        effective = np.where(open_, power ** (1.0 / (1.0 - rho)), wedge)
        quantity = direct_q * a * (wedge / effective) ** (-rho)
        route_quantity = routes.quantity * route_a * (route_w / effective[cell]) ** (-rho)
        np.add.at(quantity, cell, route_quantity)
        kappa = np.where(open_, quantity / np.where(total_q > 0, total_q, 1.0), 1.0)
        shares = np.where(open_[cell], route_quantity / (kappa[cell] * total_q[cell]), 0.0)
    availability = np.where(has_route, open_.astype(float), a)
    channel_wedge = np.where(open_, effective / wedge, 1.0)
    state = replace(
        policy, availability=availability, channel_wedge=channel_wedge, channel_volume=kappa
    )
    return state, shares


@pytest.mark.parametrize("copies", [1, 3])
def test_channels_worked_out_on_route_cells_are_those_of_whole_arrays(copies: int) -> None:
    # Bans and tariffs on either leg and on the direct cell, on stacked copies of the
    # market (as a Monte Carlo chunk stacks draws) with two routes in one cell: every
    # array of the state and every share to the bit.
    dataset = load_dataset(DATASET)
    one = processing_baseline(dataset.flows, dataset.tariffs, dataset.routes)
    baseline = type(one)(
        np.tile(one.flows, (copies, 1, 1)), np.tile(one.tariffs, (copies, 1, 1)), None
    )
    routes = dataset.routes.tiled(copies, 1)
    rng = np.random.default_rng(copies)
    for case in range(6):
        availability = np.ones_like(baseline.flows)
        tariff = baseline.tariffs.copy()
        if case % 3 == 1:
            availability[:, JPN, CHN] = 0.0  # the first leg through China
        if case % 3 == 2:
            availability[:, JPN, USA] = rng.uniform(0.0, 1.0, copies)  # the cell itself
        if case >= 3:
            tariff += rng.uniform(0.0, 0.3, tariff.shape)
        legs = make_policy(baseline, availability=availability, tariff=tariff)
        state, shares = channel_policy(baseline, legs, routes)
        dense, dense_shares = _dense_channel_policy(baseline, legs, routes)
        assert shares.tobytes() == dense_shares.tobytes(), case
        for name in ("availability", "channel_wedge", "channel_volume", "tariff"):
            assert getattr(state, name).tobytes() == getattr(dense, name).tobytes(), (case, name)
