"""Synthetic datasets and the compact flow file: validity, determinism, a run at size."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.dataset import load_dataset
from sim.errors import DatasetError
from sim.synth import flows_path, generate, write_synthetic
from sim.welfare import WELFARE_PARTS


def synth(folder: Path, regions: int, sectors: int, seed: int, name: str = "data") -> Path:
    target = folder / f"{name}.yaml"
    result = CliRunner().invoke(
        main,
        [
            "synth",
            "--regions",
            str(regions),
            "--sectors",
            str(sectors),
            "--seed",
            str(seed),
            "-o",
            str(target),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return target


def test_synthetic_dataset_loads_with_every_figure_sourced(tmp_path: Path) -> None:
    dataset = load_dataset(synth(tmp_path, 12, 5, seed=3))
    assert dataset.flows.shape == (5, 12, 12)
    assert len(dataset.regions) == 12 and len(dataset.sectors) == 5
    assert (dataset.flows >= 0).all() and (dataset.flows.sum(axis=2) > 0).all()
    assert (np.einsum("sii->si", dataset.tariffs) == 0).all()
    assert set(dataset.sources) == {"synthetic"}
    source = dataset.sources["synthetic"]
    assert source.kind == "assumption" and "seed 3" in source.citation
    assert all(figure.source == "synthetic" for figure in dataset.figures)
    flows = [f for f in dataset.figures if f.item.startswith("flows.")]
    assert len(flows) == 1 and flows[0].value == pytest.approx(dataset.flows.sum())


def test_the_flow_file_holds_the_generated_flows(tmp_path: Path) -> None:
    path = synth(tmp_path, 6, 3, seed=11)
    np.testing.assert_allclose(
        load_dataset(path).flows, generate(6, 3, 11).flows, rtol=0, atol=5e-7
    )


def test_same_seed_same_bytes_and_another_seed_other_numbers(tmp_path: Path) -> None:
    first = synth(tmp_path / "a", 10, 4, seed=7)
    second = synth(tmp_path / "b", 10, 4, seed=7)
    other = synth(tmp_path / "c", 10, 4, seed=8)
    for a, b in ((first, second), (flows_path(first), flows_path(second))):
        assert a.read_bytes() == b.read_bytes()
    assert flows_path(first).read_bytes() != flows_path(other).read_bytes()
    assert not np.allclose(load_dataset(first).flows, load_dataset(other).flows)


def test_synth_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = synth(tmp_path, 3, 1, seed=0)
    before = target.read_bytes()
    args = ["synth", "--regions", "4", "--sectors", "1", "-o", str(target)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: '{target}' already exists; use --force to replace it"
    assert target.read_bytes() == before
    assert CliRunner().invoke(main, [*args, "--force"]).exit_code == 0
    assert load_dataset(target).flows.shape == (1, 4, 4)


SCENARIO = """\
name: {name}
description: Policies on a synthetic dataset.
dataset: data.yaml
start: 2023Q1
end: 2024Q4
policies:
{policies}
"""
POLICIES = """\
  - {id: ban, type: ban, sector: s01, exporters: [R001], importers: [R002],
     start: 2023-08-24, end: 2024-03-01}
  - {id: tariff, type: tariff, sector: s02, exporters: [R003, R004], importers: [R005],
     increase: 0.2, start: 2023Q2, phase_in: 2}
  - {id: slump, type: demand_shock, sector: s03, importers: [R006], change: -0.1,
     start: 2023-05-15}
"""


@pytest.fixture(scope="module")
def moderate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 30-region, 10-sector synthetic dataset with a no-policy and a policy scenario."""
    folder = tmp_path_factory.mktemp("moderate")
    synth(folder, 30, 10, seed=5)
    (folder / "calm.yaml").write_text(SCENARIO.format(name="calm", policies="  []"))
    (folder / "shaken.yaml").write_text(SCENARIO.format(name="shaken", policies=POLICIES))
    result = CliRunner().invoke(
        main,
        ["run", str(folder / "calm.yaml"), str(folder / "shaken.yaml"), "--out", str(folder)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return folder


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_no_policy_on_a_synthetic_dataset_is_the_baseline_exactly(moderate: Path) -> None:
    dataset = load_dataset(moderate / "data.yaml")
    flows = rows(moderate / "calm" / "flows.csv")
    assert len(flows) == 8 * 10 * 30 * 30
    index = {code: k for k, code in enumerate(dataset.regions)}
    sectors = {code: k for k, code in enumerate(dataset.sectors)}
    for row in flows:
        assert row["value"] == row["baseline_value"]
        assert row["volume"] == row["baseline_volume"]
        assert float(row["change"]) == 0.0
        base = dataset.flows[sectors[row["sector"]], index[row["exporter"]], index[row["importer"]]]
        assert float(row["value"]) == pytest.approx(base / 4, abs=1e-6)
    for row in rows(moderate / "calm" / "welfare.csv"):
        assert float(row["total"]) == 0.0
    for row in rows(moderate / "calm" / "prices.csv"):
        assert row["producer_price"] == row["baseline_producer_price"] == "1.000000"


def test_a_synthetic_run_adds_up_and_moves_the_policy_flows(moderate: Path) -> None:
    flows = rows(moderate / "shaken" / "flows.csv")
    sales: dict[tuple[str, str, str], float] = {}
    for row in flows:
        key = (row["period"], row["sector"], row["exporter"])
        sales[key] = sales.get(key, 0.0) + float(row["value"])
    for row in rows(moderate / "shaken" / "prices.csv"):
        total = sales[(row["period"], row["sector"], row["region"])]
        assert float(row["output_value"]) == pytest.approx(total, rel=1e-6, abs=1e-5)
    ban = {
        r["period"]: r
        for r in flows
        if (r["sector"], r["exporter"], r["importer"]) == ("s01", "R001", "R002")
    }
    assert float(ban["2023Q4"]["value"]) == 0.0 < float(ban["2023Q4"]["baseline_value"])
    # the ban starts on 24 August: part of 2023Q3 still trades
    assert 0.0 < float(ban["2023Q3"]["value"]) < float(ban["2023Q3"]["baseline_value"])
    assert float(ban["2024Q2"]["change"]) == pytest.approx(0.0, abs=1e-3)
    welfare = [r for r in rows(moderate / "shaken" / "welfare.csv") if r["sector"] != "all"]
    for row in welfare:
        parts = sum(float(row[name] or 0.0) for name in row if name in WELFARE_PARTS)
        assert parts == pytest.approx(float(row["total"]), abs=1e-5)


def write_pair(folder: Path, flows_text: str) -> Path:
    target = folder / "data.yaml"
    write_synthetic(target, 3, 2, seed=1)
    flows_path(target).write_text(flows_text)
    return target


GOOD = """\
sector,exporter,R001,R002,R003
s01,R001,5,1,1
s01,R002,1,5,1
s01,R003,1,1,5
s02,R001,5,1,1
s02,R002,1,5,1
s02,R003,1,1,5
"""


def test_a_hand_written_flow_file_loads_with_importers_in_any_order(tmp_path: Path) -> None:
    text = GOOD.replace("R001,R002,R003\n", "R003,R001,R002\n", 1)
    text = text.replace("s01,R001,5,1,1", "s01,R001,2,3,4")
    dataset = load_dataset(write_pair(tmp_path, text))
    assert dataset.flows[0, 0].tolist() == [3.0, 4.0, 2.0]


def test_a_well_formed_flow_file_is_parsed_at_once_to_the_bits_of_each_line_alone(
    tmp_path: Path,
) -> None:
    from sim.flowfile import _header, _read_at_once, _read_line_by_line

    rng = np.random.default_rng(5)
    regions = tuple(f"R{k:03d}" for k in range(1, 8))
    sectors = ("s01", "s02", "s03")
    importers = list(rng.permutation(regions))
    lines = ["sector,exporter," + ",".join(importers)]
    forms = ("{:.17g}", "{:.3e}", "{:.0f}", " {:g} ", "{:+.6f}", "-0", "0.")
    for s in rng.permutation(sectors):
        for r in rng.permutation(regions):
            cells = [forms[k % len(forms)].format(10 ** rng.uniform(-8, 12)) for k in range(7)]
            lines.append(f"{s},{r}," + ",".join(rng.permutation(cells)))
    path = tmp_path / "flows.csv"
    path.write_text("\n".join(lines) + "\n")
    numbered = list(enumerate(lines, start=1))
    columns, order = _header(path, *numbered[0], regions)
    at_once = _read_at_once(numbered[1:], sectors, regions, order)
    assert at_once is not None
    alone = _read_line_by_line(path, numbered[1:], sectors, regions, columns, order)
    assert at_once.tobytes() == alone.tobytes()
    assert (np.signbit(at_once) == np.signbit(alone)).all()


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        ("s01,R002,1,5,1", "s01,R002,1,x5,1", ":3:12: R002:", "'x5': a flow must be a finite"),
        ("s01,R002,1,5,1", "s01,R002,1,-5,1", ":3:12: R002:", "'-5': a flow must be"),
        ("s01,R002,1,5,1", "s01,R002,1,nan,1", ":3:12: R002:", "'nan': a flow must be"),
        ("s01,R002,1,5,1", "s01,R002,1,inf,1", ":3:12: R002:", "'inf': a flow must be"),
        ("s01,R002,1,5,1", "s01,R002,1,1e400,1", ":3:12: R002:", "'1e400': a flow must be"),
        ("s01,R002,1,5,1", "s01,R002,1,0x1p3,1", ":3:12: R002:", "'0x1p3': a flow must be"),
        ("s01,R002,1,5,1", "s01,R002,1,,1", ":3:12: R002:", "'': a flow must be"),
        ("s01,R002,1,5,1", "s01,R002,1,5 5,1", ":3:12: R002:", "'5 5': a flow must be"),
        ("s01,R002,1,5,1", "s01,R002,1,5,1,", ":3: row:", "expected 5 fields"),
        ("s01,R002,1,5,1", "s01,R002,1,5", ":3: row:", "expected 5 fields"),
        ("s01,R002,1,5,1", "fish,R002,1,5,1", ":3:1: sector:", "unknown sector 'fish'"),
        ("s01,R002,1,5,1", "s01,XXX,1,5,1", ":3:5: exporter:", "unknown region 'XXX'"),
        ("s01,R002,1,5,1", "s01,R001,1,5,1", ":3:1: row:", "listed twice"),
        ("s02,R003,1,1,5\n", "", ": ", "1 sector-exporter rows missing, e.g. s02,R003"),
        ("R001,R002,R003", "R001,R002,R009", ":1:27: header:", "unknown importer 'R009'"),
        ("R001,R002,R003", "R001,R002", ":1: header:", "importer 'R003' has no column"),
        ("sector,exporter", "exporter,sector", ":1:1: header:", "must start with"),
    ],
)
def test_bad_flow_files_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, where: str, message: str
) -> None:
    assert old in GOOD
    path = write_pair(tmp_path, GOOD.replace(old, new, 1))
    flows = flows_path(path)
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    text = str(info.value)
    assert text.startswith(f"{flows}{where}"), text
    assert message in text
    result = CliRunner().invoke(main, ["sources", str(path)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith(f"Error: {flows}")
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("layout: matrix", "layout: long", "unknown flow layout 'long'; allowed: matrix"),
        ("file: data.flows.csv", "file: other.csv", "does not exist"),
        ("source: synthetic}", "source: nowhere}", "unknown source 'nowhere'"),
        (", layout: matrix", ", layout: matrix, rows: 3", "unknown field"),
    ],
)
def test_bad_flow_entries_in_the_dataset_are_refused(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = write_pair(tmp_path, GOOD)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    with pytest.raises(DatasetError, match=message) as info:
        load_dataset(path)
    assert str(info.value).startswith(f"{path}:")


def test_editing_the_flow_file_is_seen_by_the_next_load(tmp_path: Path) -> None:
    path = write_pair(tmp_path, GOOD)
    assert load_dataset(path).flows[0, 0, 0] == 5.0
    flows_path(path).write_text(GOOD.replace("s01,R001,5,1,1", "s01,R001,7.5,1,1"))
    assert load_dataset(path).flows[0, 0, 0] == 7.5
