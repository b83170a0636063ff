"""tradesim compare, plot and export on real result folders."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.compare import compare, headline, load_results
from sim.iamc import iamc_table, period_column
from sim.plot import differences_figure, paths_figure
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("results")
    names = ("baseline", "seafood-ban-lifted", "history-no-ban")
    paths = [str(SCENARIOS / f"{n}.yaml") for n in names]
    # One comparison run for all, so that their welfare figures compare.
    result = CliRunner().invoke(main, ["run", *paths, "--out", str(out), "--against", "no-policy"])
    assert result.exit_code == 0, result.output
    return {n: out / n for n in names}


def rows(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


def summary_value(folder: Path, **key: str) -> float:
    (row,) = [r for r in rows(folder / "summary.csv") if all(r[k] == v for k, v in key.items())]
    return float(row["value"])


def test_compare_table_shows_the_recovery_of_japans_seafood_exports_to_china(folders) -> None:
    a, b = folders["baseline"], folders["seafood-ban-lifted"]
    result = CliRunner().invoke(main, ["compare", str(a), str(b)])
    assert result.exit_code == 0, result.output
    key = {"indicator": "exports", "sector": "seafood", "region": "JPN", "partner": "CHN"}
    base, lifted = summary_value(a, **key), summary_value(b, **key)
    assert lifted > 2 * base  # the ban lifted from mid-2024 brings most of the trade back
    line = next(
        s
        for s in result.output.splitlines()
        if s.startswith("exports") and " JPN " in s and " CHN " in s and "seafood" in s
    )
    cells = line.split()
    assert cells[-4:] == [
        f"{base:.1f}",
        f"{lifted:.1f}",
        f"{lifted - base:+.1f}",
        f"{100 * (lifted - base) / base:+.1f}",
    ]


def test_full_comparison_matches_a_hand_computation(folders) -> None:
    a, b = folders["baseline"], folders["seafood-ban-lifted"]
    loaded = [load_results(a), load_results(b)]
    table = compare(loaded)
    records = [dict(zip(table.columns, r, strict=True)) for r in table.rows]
    hand_a = {
        (r["period"], r["exporter"], r["importer"]): float(r["value"])
        for r in rows(a / "flows.csv")
        if r["sector"] == "seafood"
    }
    hand_b = {
        (r["period"], r["exporter"], r["importer"]): float(r["value"])
        for r in rows(b / "flows.csv")
        if r["sector"] == "seafood"
    }
    checked = 0
    for r in records:
        if r["file"] == "flows.csv" and r["sector"] == "seafood" and r["measure"] == "value":
            key = (r["period"], r["region"], r["partner"])
            assert r["baseline"] == hand_a[key] and r["seafood-ban-lifted"] == hand_b[key]
            assert r["seafood-ban-lifted_minus_baseline"] == pytest.approx(
                hand_b[key] - hand_a[key]
            )
            if hand_a[key]:
                expected = 100 * (hand_b[key] - hand_a[key]) / abs(hand_a[key])
                assert r["seafood-ban-lifted_pct_change"] == pytest.approx(expected)
            checked += 1
    assert checked == len(hand_a)
    assert {r["file"] for r in records} == {
        "summary.csv",
        "flows.csv",
        "prices.csv",
        "welfare.csv",
        "indicators.csv",
    }


def test_compare_writes_the_full_csv_and_json(folders, tmp_path: Path) -> None:
    a, b = folders["baseline"], folders["history-no-ban"]
    out = tmp_path / "cmp.csv"
    result = CliRunner().invoke(main, ["compare", str(a), str(b), "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = rows(out)
    # history-no-ban stops in 2025Q4: later quarters of the baseline have no partner value
    late = [r for r in written if r["period"] == "2026Q4" and r["file"] == "flows.csv"]
    assert late and all(r["history-no-ban"] == "" for r in late)
    as_json = CliRunner().invoke(
        main, ["compare", str(a), str(b), "--format", "json", "--indicator", "welfare"]
    )
    records = json.loads(as_json.output)
    assert {r["indicator"] for r in records} == {"welfare"}
    assert len(records) == 6


def test_keys_only_a_later_folder_has_follow_the_references_rows(folders) -> None:
    # history-no-ban stops in 2025Q4; as the reference, baseline's later quarters come after
    short, full = load_results(folders["history-no-ban"]), load_results(folders["baseline"])
    table = compare([short, full], ("flows.csv",))
    records = [dict(zip(table.columns, r, strict=True)) for r in table.rows]
    periods = [r["period"] for r in records]
    first_late = periods.index("2026Q1")
    assert all(p < "2026" for p in periods[:first_late])
    assert all(p >= "2026" for p in periods[first_late:])
    flows = rows(folders["baseline"] / "flows.csv")
    assert len(records) == 2 * len(flows)  # value and volume of every key of the union
    late = records[first_late:]
    assert all(np.isnan(r["history-no-ban"]) and not np.isnan(r["baseline"]) for r in late)
    by_key = {(r["period"], r["sector"], r["exporter"], r["importer"]): r for r in flows}
    for r in late[:50]:
        row = by_key[(r["period"], r["sector"], r["region"], r["partner"])]
        assert r["baseline"] == float(row[r["measure"]])


def test_compare_refuses_folders_of_different_datasets(folders, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    for f in folders["seafood-ban-lifted"].iterdir():
        (other / f.name).write_bytes(f.read_bytes())
    run = json.loads((other / "run.json").read_text())
    run["dataset"]["fingerprint"] = "0000"
    (other / "run.json").write_text(json.dumps(run))
    result = CliRunner().invoke(main, ["compare", str(folders["baseline"]), str(other)])
    assert result.exit_code == 2
    assert "only runs of the same dataset and version compare" in result.output
    missing = CliRunner().invoke(main, ["compare", str(folders["baseline"]), str(tmp_path)])
    assert missing.exit_code == 2 and "is not a result folder" in missing.output
    unknown = CliRunner().invoke(
        main, ["compare", str(folders["baseline"]), str(other), "--indicator", "welfair"]
    )
    assert unknown.exit_code == 2


def test_plots_are_pngs_with_one_line_per_series(folders, tmp_path: Path) -> None:
    loaded = [load_results(folders["baseline"]), load_results(folders["seafood-ban-lifted"])]
    fig = paths_figure(loaded)
    _, seafood, prices, welfare = fig.axes
    assert len(seafood.lines) == 2 * 5  # every other region, per scenario
    assert len(prices.lines) == 2 * 5  # five sectors per scenario
    assert len([ln for ln in welfare.lines if ln.get_label()[0] != "_"]) == 2 * 6  # every region
    flows = [(r[2], r[3], r[4]) for r in headline(loaded, ("exports",), top=3).rows]
    diff = differences_figure(loaded, flows)
    assert len([ln for ln in diff.axes[0].lines if ln.get_label()[0] != "_"]) == 3
    assert ("seafood", "JPN", "CHN") in flows
    for command in (
        ["plot", str(folders["baseline"]), str(folders["seafood-ban-lifted"]), "--out"],
        ["compare", str(folders["baseline"]), str(folders["seafood-ban-lifted"]), "--plot"],
    ):
        target = tmp_path / f"{command[0]}.png"
        result = CliRunner().invoke(main, [*command, str(target)])
        assert result.exit_code == 0, result.output
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_iamc_export_round_trips_to_flows(folders, tmp_path: Path) -> None:
    folder = folders["baseline"]
    out = tmp_path / "iamc.csv"
    result = CliRunner().invoke(
        main, ["export", str(folder), "--format", "iamc", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert header[:5] == ["model", "scenario", "region", "variable", "unit"]
    periods = json.loads((folder / "run.json").read_text())["periods"]
    assert header[5:] == [period_column(p) for p in periods]
    series = {(r[2], r[3]): [float(v) for v in r[5:]] for r in reader}
    checked = 0
    for r in rows(folder / "flows.csv"):
        if r["exporter"] == r["importer"]:
            continue
        sector = r["sector"].replace("_", " ").title()
        values = series[(r["exporter"], f"Trade|Exports|{sector}|{r['importer']}")]
        assert values[periods.index(r["period"])] == float(r["value"])
        checked += 1
    assert checked == len(periods) * 5 * 6 * 5
    assert np.isfinite(iamc_table(load_results(folder)).rows[0][5])


def test_plot_options_pick_the_series_and_refuse_unknown_names(folders, tmp_path: Path) -> None:
    loaded = [load_results(folders["baseline"])]
    fig = paths_figure(loaded, sector="chip_tools", region="USA", partners=("CHN", "JPN"))
    assert [ln.get_label() for ln in fig.axes[1].lines] == ["to CHN, baseline", "to JPN, baseline"]
    assert fig.axes[1].get_title() == "USA's chip_tools exports by destination"
    result = CliRunner().invoke(
        main,
        ["plot", str(folders["baseline"]), "--sector", "fish", "--out", str(tmp_path / "x.png")],
    )
    assert result.exit_code == 2
    assert result.output.startswith("Error: unknown sector 'fish'; the results have: chip_tools")
    assert not (tmp_path / "x.png").exists()


def test_folders_measured_against_different_runs_are_refused(tmp_path: Path) -> None:
    """Welfare is a change against each folder's comparison run: unlike ones do not compare."""
    paths = [str(SCENARIOS / f"{n}.yaml") for n in ("baseline", "seafood-ban-lifted")]
    ran = CliRunner().invoke(main, ["run", *paths, "--out", str(tmp_path)])
    assert ran.exit_code == 0, ran.output
    result = CliRunner().invoke(
        main, ["compare", str(tmp_path / "baseline"), str(tmp_path / "seafood-ban-lifted")]
    )
    assert result.exit_code == 2
    assert "measured against 'baseline'" in result.output
    assert "against the no-policy path" in result.output
    assert len(result.output.strip().splitlines()) == 1
