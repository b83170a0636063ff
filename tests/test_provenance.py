"""How much of the baseline's trade is cited, derived from cited figures, or assumed."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from sim.cli import main
from sim.dataset import Source, Term, load_dataset
from sim.formula import evaluate
from sim.provenance import (
    SMALL_ASSUMED,
    classify,
    derivations,
    flow_figures,
    flow_values,
    inputs_of,
    trade_provenance,
)
from tests.conftest import SCENARIOS

# Flows are written in the dataset rounded to 0.1 JPY bn.
ROUNDING = 0.05


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


def _formula_source(key: str, formula: str, *terms: Term) -> Source:
    return Source(key, "derived", formula, formula=formula, terms=terms)


def test_a_pair_total_less_small_assumed_flows_stays_derived() -> None:
    # A cited pair total of 1,000 less an assumed flow of 60 (6% of the 940 left) is
    # derived; less an assumed 200 (25% of 800) it rests on the assumption.
    sources = {
        "stat": Source("stat", "statistic", "https://example.org/a"),
        "guess": Source("guess", "assumption", "round number"),
        "small": _formula_source(
            "small", "total - other", Term("total", 1000, "stat"), Term("other", 60, "guess")
        ),
        "large": _formula_source(
            "large", "total - other", Term("total", 1000, "stat"), Term("other", 200, "guess")
        ),
    }
    weighed = derivations(sources)
    assert weighed["small"].value == 940 and weighed["small"].assumed == 60
    assert weighed["large"].assumed_share == 0.25 > SMALL_ASSUMED
    assert classify(sources) == {
        "stat": "cited",
        "guess": "assumed",
        "small": "derived",
        "large": "assumed",
    }


def test_an_assumption_added_back_in_a_sum_cancels_and_others_propagate() -> None:
    # pair = 1,000 (cited) - flow.b.X.Y (assumed 60) = 940; the residual takes the pair's
    # sum over sectors (940 + 60 = 1,000, on cited figures only) and an assumed 30 from a
    # world total of 5,000: its assumed part is 30, the 60 cancels.
    sources = {
        "stat": Source("stat", "statistic", "https://example.org/a"),
        "guess": Source("guess", "assumption", "round number"),
        "pair": _formula_source(
            "pair", "total - b", Term("total", 1000, "stat"), Term("b", flow="b.X.Y")
        ),
        "rest": _formula_source(
            "rest",
            "world - xy - other",
            Term("world", 5000, "stat"),
            Term("xy", flow="*.X.Y"),
            Term("other", 30, "guess"),
        ),
    }
    flows = {"a.X.Y": (940.0, "pair"), "b.X.Y": (60.0, "guess"), "a.X.Z": (3970.0, "rest")}
    weighed = derivations(sources, flows)
    assert weighed["pair"].exposure == {"b.X.Y": -60.0}
    assert weighed["rest"].value == 3970
    assert weighed["rest"].exposure == {"b.X.Y": 0.0, "guess = 30": -30.0}
    provenance = trade_provenance(
        [("X", "Y", 940.0, "pair"), ("X", "Y", 60.0, "guess"), ("X", "Z", 3970.0, "rest")],
        sources,
        flows,
    )
    assert provenance.by_class == {"cited": 0.0, "derived": 4910.0, "assumed": 60.0}
    assert provenance.assumed_in_derived == 90.0


def test_every_formula_of_the_shipped_dataset_reproduces_its_flow_from_the_inputs() -> None:
    dataset = load_dataset("japan-china-2022")
    values = flow_values(dataset.figures)
    checked = 0
    for key, (value, source_id) in values.items():
        source = dataset.sources[source_id]
        if not source.formula:
            continue
        inputs, _ = inputs_of(source, values)
        assert abs(evaluate(source.formula, inputs) - value) <= ROUNDING, key
        checked += 1
    # every other_goods flow between two regions with published totals is recomputed
    assert checked >= 15


def test_the_shipped_dataset_rests_mostly_on_cited_trade_figures() -> None:
    dataset = load_dataset("japan-china-2022")
    values = flow_values(dataset.figures)
    provenance = trade_provenance(flow_figures(dataset.figures), dataset.sources, values)
    assert provenance.share("cited") + provenance.share("derived") >= 0.80
    # the assumed inputs inside derived flows stay a small part of them
    assert provenance.assumed_in_derived <= SMALL_ASSUMED * provenance.by_class["derived"]
    classes = classify(dataset.sources, values)
    # the US-China pair totals are US Census figures less the small other sectors
    assert values["other_goods.CHN.USA"][1] == "chn-usa-other-derived"
    assert classes["chn-usa-other-derived"] == "derived"
    assert classes["census-us-china-2022"] == "cited"


def test_the_summary_of_the_shipped_dataset_is_what_its_flows_say() -> None:
    dataset = load_dataset("japan-china-2022")
    values = flow_values(dataset.figures)
    provenance = trade_provenance(flow_figures(dataset.figures), dataset.sources, values)
    result = CliRunner().invoke(main, ["sources", "--summary"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("japan-china-2022: baseline cross-border trade")
    for name, line in zip(("cited", "derived", "assumed"), lines[1:4], strict=True):
        assert line.split()[:2] == [name, f"{100 * provenance.share(name):.1f}%"]
    assert "comes from assumed inputs" in lines[4]
    shares = sum(provenance.share(n) for n in ("cited", "derived", "assumed"))
    assert abs(shares - 1.0) < 1e-12
    # Japan's scallop exports to China are MAFF's published figure; the rest of its marine
    # exports there are MAFF's total less them, arithmetic on cited figures.
    assert ("JPN", "CHN", 46.7, "maff-2022-scallops-china") in flow_figures(dataset.figures)
    assert classify(dataset.sources, values)["maff-2022-scallops-china"] == "cited"
    assert ("JPN", "CHN", 40.4, "jpn-seafood-ex-scallops-derived") in flow_figures(dataset.figures)
    assert classify(dataset.sources, values)["jpn-seafood-ex-scallops-derived"] == "derived"


def test_a_dataset_without_sourced_flows_is_one_line_exit_2() -> None:
    gravity = Path(__file__).parents[1] / "sim" / "data" / "gegravity-sample-2006.yaml"
    result = CliRunner().invoke(main, ["sources", str(gravity), "--summary"])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1


def test_a_unit_conversion_of_a_cited_figure_is_cited() -> None:
    sources = {
        "stat": Source("stat", "statistic", "https://example.org/a"),
        "rate": Source("rate", "statistic", "https://example.org/b"),
        "guess": Source("guess", "assumption", "round number"),
        "yen": _formula_source(
            "yen", "usd * jpy_per_usd", Term("usd", 1.14, "stat"), Term("jpy_per_usd", 130, "rate")
        ),
        "yen-of-guess": _formula_source(
            "yen-of-guess",
            "usd * jpy_per_usd",
            Term("usd", 2, "guess"),
            Term("jpy_per_usd", 130, "rate"),
        ),
        "less": _formula_source(
            "less",
            "usd * jpy_per_usd - 1",
            Term("usd", 1.14, "stat"),
            Term("jpy_per_usd", 130, "rate"),
        ),
    }
    classes = classify(sources)
    assert classes["yen"] == "cited"
    assert classes["yen-of-guess"] == "assumed"
    assert classes["less"] == "derived"


def test_the_summary_transcript_in_data_sources_md_is_the_real_output() -> None:
    text = (Path(__file__).parents[1] / "docs" / "data-sources.md").read_text(encoding="utf-8")
    start = text.index("$ tradesim sources --summary\n") + len("$ tradesim sources --summary\n")
    shown = text[start : text.index("```", start)]
    result = CliRunner().invoke(main, ["sources", "--summary"])
    assert result.exit_code == 0, result.output
    assert shown == result.output


def test_sources_of_a_scenario_file_are_those_of_its_dataset() -> None:
    runner = CliRunner()
    of_dataset = runner.invoke(main, ["sources", "japan-china-2022", "--summary"])
    of_scenario = runner.invoke(main, ["sources", str(SCENARIOS / "baseline.yaml"), "--summary"])
    assert of_dataset.exit_code == of_scenario.exit_code == 0
    assert of_scenario.output == of_dataset.output
    gravity = runner.invoke(main, ["sources", str(SCENARIOS / "gravity-can-jpn-pta.yaml")])
    assert gravity.exit_code == 0
    assert "gegravity-sample-2006" in gravity.output.splitlines()[0]
