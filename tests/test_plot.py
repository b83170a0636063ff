"""Plots a reader can trust: every region, the policies' target flows, units, the comparison run.

The checks read the figures' legends, tick labels and titles, not only that a PNG exists.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.compare import ResultFolder, load_results
from sim.plot import MAX_TARGETS, gravity_figure, paths_figure, target_flows


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plots")
    for args in (
        ["baseline", "seafood-ban-lifted", "--against", "no-policy"],
        ["gravity-can-jpn-pta"],
    ):
        result = CliRunner().invoke(main, ["run", *args, "--out", str(folder)])
        assert result.exit_code == 0, result.output
    return folder


def legend(ax: object) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]  # type: ignore[attr-defined]


def regions_of(folder: ResultFolder) -> list[str]:
    return sorted({r["exporter"] for r in folder.tables["flows.csv"]})


def test_target_flows_are_read_from_the_resolved_policies(out: Path) -> None:
    flows = target_flows(load_results(out / "seafood-ban-lifted"))
    assert flows[0] == ("seafood-ban", "seafood", "JPN", "CHN")
    assert ("hong-kong-prefecture-ban", "seafood", "JPN", "HKG") in flows
    assert all(exporter != importer for _, _, exporter, importer in flows)


def test_the_paths_figure_shows_every_region_and_the_target_flows(out: Path) -> None:
    folders = [load_results(out / "baseline"), load_results(out / "seafood-ban-lifted")]
    fig = paths_figure(folders)
    targets, exports, prices, welfare = fig.axes
    regions = regions_of(folders[0])
    assert len(regions) == 6
    for folder in folders:
        # welfare: every region of the results, for every scenario
        assert [t for t in legend(welfare) if t.endswith(f", {folder.name}")] == [
            f"{code}, {folder.name}" for code in regions
        ]
        # exports: every other region; those a policy acts on are marked
        shown = [t for t in legend(exports) if t.endswith(f", {folder.name}")]
        assert [t.split()[1].rstrip(",") for t in shown] == [c for c in regions if c != "JPN"]
        assert f"to CHN (target), {folder.name}" in shown
        assert f"to HKG (target), {folder.name}" in shown
        assert f"to USA, {folder.name}" in shown
        # the targets panel: the policies' flows labelled with the policy, in policy order
        expected = [
            f"{sector} {e}->{i} ({policy}), {folder.name}"
            for policy, sector, e, i in target_flows(folder)[:MAX_TARGETS]
        ]
        assert [t for t in legend(targets) if t.endswith(f", {folder.name}")] == expected
        assert "seafood JPN->CHN (seafood-ban), " + folder.name in expected
    more = len(target_flows(folders[0])) - MAX_TARGETS
    assert (
        targets.get_title() == f"Flows the policies act on (the first {MAX_TARGETS}; {more} more)"
    )
    for ax in (targets, exports, welfare):
        assert ax.get_ylabel() == "JPY bn per quarter"
        assert ax.get_xlabel() == "quarter"
    assert prices.get_ylabel() == "index, baseline year = 1"
    assert fig._suptitle.get_text() == (  # type: ignore[attr-defined]
        "baseline (-) against the no-policy path; "
        "seafood-ban-lifted (--) against the no-policy path"
    )


def test_a_scenario_measured_against_its_parent_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "seafood-ban-lifted", "--out", str(tmp_path)])
    assert result.exit_code == 0
    fig = paths_figure([load_results(tmp_path / "seafood-ban-lifted")])
    assert fig._suptitle.get_text() == "seafood-ban-lifted (-) against 'baseline'"  # type: ignore[attr-defined]


def test_gravity_results_are_bar_charts_of_every_region_and_the_target_flows(out: Path) -> None:
    folder = load_results(out / "gravity-can-jpn-pta")
    fig = gravity_figure([folder])
    welfare, gdp, targets = fig.axes
    regions = sorted({r["region"] for r in folder.tables["indicators.csv"]})
    assert len(regions) == 30
    for ax in (welfare, gdp):
        assert [t.get_text() for t in ax.get_xticklabels()] == regions
        assert len(ax.patches) == 30
        assert ax.get_ylabel() == "change, %"
        assert legend(ax) == ["gravity-can-jpn-pta"]
    labels = [t.get_text() for t in targets.get_xticklabels()]
    assert labels == ["CAN->JPN (can-jpn-pta)", "JPN->CAN (can-jpn-pta)"]
    heights = [bar.get_height() for bar in targets.patches]
    assert all(h > 10 for h in heights)  # the agreement raises trade between the two
    assert "against its baseline trade costs" in fig._suptitle.get_text()  # type: ignore[attr-defined]


def test_tradesim_plot_draws_either_model(out: Path, tmp_path: Path) -> None:
    for folders in (["baseline", "seafood-ban-lifted"], ["gravity-can-jpn-pta"]):
        target = tmp_path / f"{folders[0]}.png"
        result = CliRunner().invoke(
            main, ["plot", *(str(out / f) for f in folders), "--out", str(target)]
        )
        assert result.exit_code == 0, result.output
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
