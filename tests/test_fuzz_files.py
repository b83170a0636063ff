"""Fuzzing the files tradesim reads besides scenarios: datasets and result folders.

Every mutated dataset loads or is refused with a tradesim error (never another exception);
every mutated result folder gives exit status 0, 1 or 2 from ``compare`` and ``export``
with one ``Error:`` line and no traceback. The default number of examples is small so that
the suite stays fast; ``TRADESIM_FUZZ_EXAMPLES=5000`` runs the long campaign.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.errors import TradesimError
from tests.conftest import DATA

EXAMPLES = int(os.environ.get("TRADESIM_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 100,  # the default run is the same every time
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE = st.sampled_from(
    [
        None,
        True,
        "",
        "x",
        "JPN",
        "toy",
        0,
        -1,
        2,
        10**400,
        1e308,
        -1e308,
        1e-320,
        float("inf"),
        float("nan"),
        [],
        {},
        [None],
        {"value": None},
        {"value": 1e308, "source": "toy"},
        "2023Q1",
        "9999Q1",
    ]
)


def _dataset_base() -> dict[str, Any]:
    data = yaml.safe_load((DATA / "toy-two-sector.yaml").read_text(encoding="utf-8"))
    data["satellites"] = [
        {
            "name": "north",
            "region": "JPN",
            "sector": "seafood",
            "output_share": {"value": 0.2, "source": "toy"},
            "export_shares": {"CHN": {"value": 0.5, "source": "toy"}},
        }
    ]
    data["facts"] = [{"name": "fact", "value": 3, "unit": "items", "source": "toy"}]
    data["checks"] = [
        {
            "name": "seafood-total",
            "kind": "exports_total",
            "sector": "seafood",
            "exporter": "JPN",
            "expected": 60,
            "tolerance": 0.5,
            "source": "toy",
        }
    ]
    return data


DATASET = _dataset_base()


def _spot(document: Any, data: st.DataObject) -> tuple[Any, ...]:
    """A path into ``document``: a random walk from the root that stops at any level."""
    where: tuple[Any, ...] = ()
    value = document
    while isinstance(value, dict | list):
        keys = list(value) if isinstance(value, dict) else list(range(len(value)))
        if not keys:
            return where
        key = data.draw(st.sampled_from(keys))
        where, value = (*where, key), value[key]
        if not isinstance(value, dict | list) or data.draw(st.booleans()):
            return where
    return where


def _mutate(document: Any, data: st.DataObject, times: int) -> Any:
    document = copy.deepcopy(document)
    for _ in range(times):
        spot = _spot(document, data)
        if not spot:
            return copy.deepcopy(data.draw(HOSTILE))
        parent = document
        for part in spot[:-1]:
            parent = parent[part]
        action = data.draw(st.sampled_from(["replace", "delete", "duplicate"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[spot[-1]]
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[spot[-1]]))
        else:
            parent[spot[-1]] = copy.deepcopy(data.draw(HOSTILE))
    return document


@FUZZ
@given(data=st.data(), times=st.integers(min_value=1, max_value=3))
def test_mutated_datasets_load_or_are_refused_with_a_tradesim_error(
    data: st.DataObject, times: int
) -> None:
    from sim.dataset import load_dataset

    document = _mutate(DATASET, data, times)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        try:
            load_dataset(str(path))
        except TradesimError as error:
            assert "\n" not in str(error)


CELLS = st.sampled_from(
    ["", "x", "-1", "nan", "inf", "1e308", "1e309", "-0", "1e-400", "0x10", " 5 ", "1,2", '"3"']
)


@FUZZ
@given(data=st.data())
def test_mutated_flow_files_load_or_are_refused_with_a_tradesim_error(
    data: st.DataObject,
) -> None:
    from sim.dataset import load_dataset

    document = copy.deepcopy(DATASET)
    document["flows"] = {"file": "flows.csv", "layout": "matrix", "source": "toy"}
    lines = ["sector,exporter,JPN,CHN,USA"] + [
        f"{s},{e},{'100,10,10' if e == 'JPN' else '10,100,10' if e == 'CHN' else '10,10,100'}"
        for s in ("seafood", "other_goods")
        for e in ("JPN", "CHN", "USA")
    ]
    cells = [line.split(",") for line in lines]
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        row = data.draw(st.integers(min_value=0, max_value=len(cells) - 1))
        column = data.draw(st.integers(min_value=0, max_value=len(cells[row]) - 1))
        cells[row][column] = data.draw(CELLS)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.yaml"
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        (Path(folder) / "flows.csv").write_text("\n".join(",".join(c) for c in cells) + "\n")
        try:
            load_dataset(str(path))
        except TradesimError as error:
            assert "\n" not in str(error)


RESULT_SCENARIO = """\
name: {name}
dataset: {dataset}
start: 2023Q3
end: 2024Q1
policies:
  - id: cut
    type: tariff
    sector: seafood
    exporters: [JPN]
    importers: [CHN]
    rate: {rate}
    start: 2023-07-01
"""


@pytest.fixture(scope="module")
def result_folders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("results")
    for name, rate in (("low", 0.1), ("high", 0.3)):
        path = root / f"{name}.yaml"
        path.write_text(
            RESULT_SCENARIO.format(name=name, dataset=DATA / "toy-two-sector.yaml", rate=rate)
        )
        ran = CliRunner().invoke(main, ["run", str(path), "--out", str(root / "out")])
        assert ran.exit_code == 0, ran.output
    return root / "out"


def _mutate_folder(folder: Path, data: st.DataObject) -> None:
    files = sorted(p.name for p in folder.iterdir())
    name = data.draw(st.sampled_from(files))
    target = folder / name
    action = data.draw(st.sampled_from(["delete", "truncate", "bytes", "json", "cell"]))
    raw = target.read_bytes()
    if action == "delete":
        target.unlink()
    elif action == "truncate":
        target.write_bytes(raw[: data.draw(st.integers(min_value=0, max_value=len(raw)))])
    elif action == "bytes":
        target.write_bytes(data.draw(st.binary(max_size=300)))
    elif action == "json" and name == "run.json":
        try:
            document = json.loads(raw)
        except ValueError:  # already damaged by an earlier mutation
            return
        target.write_text(json.dumps(_mutate(document, data, 1)))
    else:
        lines = raw.decode("utf-8", errors="replace").split("\n")
        row = data.draw(st.integers(min_value=0, max_value=max(0, len(lines) - 2)))
        cells = lines[row].split(",")
        column = data.draw(st.integers(min_value=0, max_value=len(cells) - 1))
        cells[column] = data.draw(CELLS)
        lines[row] = ",".join(cells)
        target.write_text("\n".join(lines), encoding="utf-8")


def _assert_answered(result: Any) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1, 2)
    if result.exit_code:
        errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1, result.output
        assert "Traceback" not in result.output


@FUZZ
@given(data=st.data())
def test_damaged_result_folders_give_one_line_and_no_traceback(
    data: st.DataObject, result_folders: Path
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        low, high = Path(scratch) / "low", Path(scratch) / "high"
        shutil.copytree(result_folders / "low", low)
        shutil.copytree(result_folders / "high", high)
        for _ in range(data.draw(st.integers(min_value=1, max_value=2))):
            _mutate_folder(data.draw(st.sampled_from([low, high])), data)
        _assert_answered(CliRunner().invoke(main, ["compare", str(low), str(high)]))
        out = Path(scratch) / "iamc.csv"
        exported = CliRunner().invoke(main, ["export", str(low), "--out", str(out)])
        _assert_answered(exported)
        assert out.exists() == (exported.exit_code == 0)
