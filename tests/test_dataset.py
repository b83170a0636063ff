"""The packaged dataset: provenance, the article's figures, and refusal of bad datasets."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sim.dataset import _normalise, article_text, dataset_path, load_dataset
from sim.errors import DatasetError
from sim.indicators import baseline_exports, part_sales


@pytest.fixture(scope="module")
def dataset():  # type: ignore[no-untyped-def]
    return load_dataset("japan-china-2022")


def test_regions_and_sectors(dataset) -> None:  # type: ignore[no-untyped-def]
    assert {"JPN", "CHN", "HKG", "USA"} <= set(dataset.regions)
    assert len(dataset.regions) >= 6
    assert dataset.sectors == (
        "seafood",
        "scallops",
        "chip_tools",
        "critical_minerals",
        "other_goods",
    )
    assert dataset.flows.shape == (5, len(dataset.regions), len(dataset.regions))
    assert (dataset.flows >= 0).all()
    assert (dataset.gdp > 0).all()
    assert dataset.unit.startswith("JPY bn")


def marine(dataset, importers=None) -> float:  # type: ignore[no-untyped-def]
    """Japan's exports of MAFF "marine products": the seafood and scallops sectors."""
    return sum(dataset.exports(s, "JPN", importers) for s in ("seafood", "scallops"))


def test_china_and_hong_kong_take_42_percent_of_japan_seafood_exports(dataset) -> None:  # type: ignore[no-untyped-def]
    share = marine(dataset, ("CHN", "HKG")) / marine(dataset)
    assert share == pytest.approx(0.42, abs=0.005)
    assert marine(dataset) == pytest.approx(387.3, abs=0.5)


def test_scallops_carry_the_published_2022_figures(dataset) -> None:  # type: ignore[no-untyped-def]
    # MAFF figures are published to 0.1 JPY bn and shares to 0.1 point.
    assert dataset.exports("scallops", "JPN") == pytest.approx(91.1, abs=0.05)
    assert dataset.exports("scallops", "JPN", ("CHN",)) == pytest.approx(46.7, abs=0.05)
    assert dataset.exports("scallops", "JPN", ("HKG",)) == pytest.approx(4.8, abs=0.05)
    assert dataset.exports("scallops", "JPN", ("USA",)) / 91.1 == pytest.approx(0.09, abs=0.001)
    # China and Hong Kong buy 35% of Japan's scallop output (Jiji), so output is 147.1.
    s, jpn = dataset.sector_index("scallops"), dataset.region_index("JPN")
    output = dataset.flows[s, jpn].sum()
    assert (46.7 + 4.8) / output == pytest.approx(0.35, abs=0.0005)
    # Marine products to China are unchanged by the split: 87.1 = 40.4 + 46.7.
    assert marine(dataset, ("CHN",)) == pytest.approx(87.1, abs=0.05)


def test_the_hokkaido_satellite_reproduces_its_83_bn_of_2022_exports(dataset) -> None:  # type: ignore[no-untyped-def]
    """The satellite's baseline exports match the dataset's own fact, given to 1 JPY bn."""
    (hokkaido,) = [s for s in dataset.satellites if s.name == "hokkaido"]
    assert [part.sector for part in hokkaido.parts] == ["scallops", "seafood"]
    index = {code: k for k, code in enumerate(dataset.regions)}
    rows = dataset.flows[[dataset.sector_index(p.sector) for p in hokkaido.parts], index["JPN"]]
    exports = baseline_exports(hokkaido, index["JPN"], index, rows)
    assert exports == pytest.approx(dataset.facts["hokkaido_seafood_exports_2022"], abs=0.5)
    # Its scallop part holds Hokkaido's 110 JPY bn of landings and sells 35 to China.
    scallops = part_sales(hokkaido.parts[0], index, rows[0])
    assert scallops.sum() == pytest.approx(110.0, abs=0.1)
    assert scallops[index["CHN"]] == pytest.approx(35.0, abs=0.05)
    # Sales of each part stay within Japan's sales of the sector, destination by destination.
    for part, row in zip(hokkaido.parts, rows, strict=True):
        assert (part_sales(part, index, row) <= row + 1e-9).all()


def test_every_figure_has_a_known_source(dataset) -> None:  # type: ignore[no-untyped-def]
    regions, sectors = len(dataset.regions), len(dataset.sectors)
    flows = [f for f in dataset.figures if f.item.startswith("flow.")]
    assert len(flows) == sectors * regions * regions
    for figure in dataset.figures:
        assert figure.source in dataset.sources
    for source in dataset.sources.values():
        assert source.citation.strip()
        if source.kind == "statistic":
            assert source.citation.startswith(("http://", "https://"))


def test_the_article_figures_are_in_the_data_with_their_sentences(dataset) -> None:  # type: ignore[no-untyped-def]
    article = _normalise(article_text())
    quoted = {key: s.citation for key, s in dataset.sources.items() if s.kind == "article"}
    for sentence in quoted.values():
        assert _normalise(sentence) in article

    def sentence_of(fact: str) -> str:
        figure = next(f for f in dataset.figures if f.item == f"fact.{fact}")
        return dataset.sources[figure.source].citation

    assert dataset.facts["controlled_chipmaking_tools"] == 23
    assert "23 chipmaking tools" in sentence_of("controlled_chipmaking_tools")
    assert dataset.facts["china_hk_share_of_japan_seafood_exports"] == 42
    assert "42%" in sentence_of("china_hk_share_of_japan_seafood_exports")
    gdp_fact = next(name for name in dataset.facts if "gdp" in name and dataset.facts[name] == -2.1)
    assert "2.1%" in sentence_of(gdp_fact)
    all_quotes = " ".join(quoted.values())
    for phrase in ("late August", "gallium and germanium", "Hokkaido"):
        assert phrase in all_quotes
    minerals = dataset.sectors.index("critical_minerals")
    assert minerals >= 0
    (hokkaido,) = [s for s in dataset.satellites if s.name == "hokkaido"]
    assert hokkaido.region == "JPN" and hokkaido.sector == "scallops+seafood"
    for part in hokkaido.parts:
        assert 0 < part.output_share < part.export_shares["CHN"] < 1


def edited(tmp_path: Path, old: str, new: str) -> Path:
    text = dataset_path("japan-china-2022").read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "edited.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def flow_line(name: str = "[seafood, JPN, CHN,") -> str:
    text = dataset_path("japan-china-2022").read_text(encoding="utf-8")
    return next(line for line in text.splitlines() if name in line)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda line: (line, line.replace("40.4", "-40.4")), "flows must be zero or positive"),
        (lambda line: (line, ""), "flows missing, e.g. [seafood, JPN, CHN]"),
        (lambda line: (line, line + "\n" + line), "is listed twice"),
        (
            lambda line: (line, re.sub(r", [\w-]+\]", ", no-such-source]", line)),
            "unknown source 'no-such-source'",
        ),
        (lambda line: (line, line.replace("40.4", "10")), "fails: expected 0.42 +- 0.005"),
    ],
)
def test_bad_datasets_are_refused_with_file_and_line(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    path = edited(tmp_path, *change(flow_line()))
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    text = str(info.value)
    assert text.startswith(f"{path}:")
    assert message in text


def test_misquoted_article_sentence_is_refused(tmp_path: Path) -> None:
    path = edited(tmp_path, "with exports amounting to 42%", "with exports amounting to 52%")
    with pytest.raises(
        DatasetError, match="sentence not found word for word in the bundled article"
    ):
        load_dataset(path)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'formula: "us_imports_from_china * jpy_per_usd - seafood',
            'formula: "us_imports_from_china * jpy_per_usd - sea_food',
            "sources.chn-usa-other-derived.formula: 'sea_food' is not one of its inputs",
        ),
        (
            'formula: "us_imports_from_china * jpy_per_usd - seafood',
            'formula: "us_imports_from_china ** jpy_per_usd - seafood',
            "only numbers, names, + - * / and parentheses are allowed",
        ),
        (
            'to_hkg: {flow: "*.CHN.HKG"}',
            'to_hkg: {flow: "*.CHN.HK"}',
            "sources.chn-row-other-derived.inputs.to_hkg.flow: no flow '*.CHN.HK'",
        ),
        (
            "us_imports_from_china: {value: 536.8, source: census-us-china-2022}",
            "us_imports_from_china: {value: 536.8, source: census}",
            "unknown source 'census'",
        ),
    ],
)
def test_a_bad_formula_source_is_refused_with_file_line_and_field(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = edited(tmp_path, old, new)
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    text = str(info.value)
    assert text.startswith(f"{path}:") and len(text.splitlines()) == 1
    assert message in text


def test_tariff_rows_of_one_region_or_all_of_them(tmp_path: Path) -> None:
    """A row sets its pair, its exporters' or importers' side ("*"), or every pair; a
    later row overrides an earlier one (the home market reset to 0)."""
    from tests.conftest import DATA

    text = (DATA / "toy-two-sector.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  - [seafood, CHN, CHN, 0.0, toy]\n",
        '  - [seafood, CHN, CHN, 0.0, toy]\n  - [seafood, JPN, "*", 0.02, toy]\n'
        "  - [seafood, JPN, JPN, 0.0, toy]\n  - [seafood, USA, JPN, 0.05, toy]\n",
    )
    path = tmp_path / "toy.yaml"
    path.write_text(text, encoding="utf-8")
    data = load_dataset(path)
    regions, sectors = list(data.regions), list(data.sectors)
    jpn, chn, usa = (regions.index(code) for code in ("JPN", "CHN", "USA"))
    seafood, other = sectors.index("seafood"), sectors.index("other_goods")
    expected = np.zeros_like(data.tariffs)
    expected[seafood, :, chn] = 0.07
    expected[seafood, chn, chn] = 0.0
    expected[seafood, jpn, :] = 0.02
    expected[seafood, jpn, jpn] = 0.0
    expected[seafood, usa, jpn] = 0.05
    expected[other] = 0.03
    for k in range(len(regions)):
        expected[other, k, k] = 0.0
    assert data.tariffs.tobytes() == expected.tobytes()
    bad = path.read_text(encoding="utf-8").replace(
        "[seafood, USA, JPN, 0.05", "[seafood, USA, XXX, 0.05"
    )
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(DatasetError, match=r"tariffs\[\d+\]\[2\].*unknown region 'XXX'"):
        load_dataset(path)
