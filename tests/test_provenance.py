"""How much of the baseline's trade is cited, derived from cited figures, or assumed."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from sim.cli import main
from sim.dataset import Source, load_dataset
from sim.provenance import classify, flow_figures, trade_provenance


def test_a_derivation_is_cited_only_if_all_its_inputs_are() -> None:
    sources = {
        "stat": Source("stat", "statistic", "https://example.org/a"),
        "guess": Source("guess", "assumption", "round number"),
        "from-stat": Source("from-stat", "derived", "2 x stat", inputs=("stat",)),
        "from-both": Source("from-both", "derived", "stat - guess", inputs=("stat", "guess")),
        "two-steps": Source("two-steps", "derived", "from-stat / 2", inputs=("from-stat",)),
    }
    assert classify(sources) == {
        "stat": "cited",
        "guess": "assumed",
        "from-stat": "derived",
        "from-both": "assumed",
        "two-steps": "derived",
    }


def test_home_sales_are_not_trade_and_the_shares_add_up() -> None:
    sources = {
        "stat": Source("stat", "statistic", "https://example.org/a"),
        "guess": Source("guess", "assumption", "round number"),
    }
    flows = [
        ("JPN", "JPN", 1000.0, "guess"),
        ("JPN", "CHN", 30.0, "stat"),
        ("CHN", "JPN", 10.0, "guess"),
    ]
    provenance = trade_provenance(flows, sources)
    assert provenance.total == 40.0
    assert provenance.share("cited") == 0.75 and provenance.share("assumed") == 0.25


def test_the_summary_of_the_shipped_dataset_is_what_its_flows_say() -> None:
    dataset = load_dataset("japan-china-2022")
    provenance = trade_provenance(flow_figures(dataset.figures), dataset.sources)
    result = CliRunner().invoke(main, ["sources", "--summary"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("japan-china-2022: baseline cross-border trade")
    for name, line in zip(("cited", "derived", "assumed"), lines[1:4], strict=True):
        assert line.split()[:2] == [name, f"{100 * provenance.share(name):.1f}%"]
    shares = sum(provenance.share(n) for n in ("cited", "derived", "assumed"))
    assert abs(shares - 1.0) < 1e-12
    # Japan's scallop exports to China are MAFF's published figure; the rest of its marine
    # exports there are MAFF's total less them, arithmetic on cited figures.
    assert ("JPN", "CHN", 46.7, "maff-2022-scallops-china") in flow_figures(dataset.figures)
    assert classify(dataset.sources)["maff-2022-scallops-china"] == "cited"
    assert ("JPN", "CHN", 40.4, "jpn-seafood-ex-scallops-derived") in flow_figures(dataset.figures)
    assert classify(dataset.sources)["jpn-seafood-ex-scallops-derived"] == "derived"


def test_a_dataset_without_sourced_flows_is_one_line_exit_2() -> None:
    gravity = Path(__file__).parents[1] / "sim" / "data" / "gegravity-sample-2006.yaml"
    result = CliRunner().invoke(main, ["sources", str(gravity), "--summary"])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
