"""The Python API (docs/api.md and the README), tested as documentation and against the CLI."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import sim
from sim.cli import main
from sim.errors import InputError
from sim.results import RESULT_FILES
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
API_DOC = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")


def python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def test_the_readme_python_line_prints_what_the_readme_shows(tmp_path: Path) -> None:
    command = (
        "python -c \"import sim; print(sim.run('seafood-ban-lifted').table('summary').head())\""
    )
    start = README.index(f"$ {command}\n") + len(f"$ {command}\n")
    shown = README[start : README.index("```", start)]
    done = python(command.split('"')[1], cwd=tmp_path)  # from a folder outside the clone
    assert done.returncode == 0, done.stderr
    assert done.stdout == shown


@pytest.mark.parametrize("block", re.findall(r"```python\n(.*?)```", API_DOC, flags=re.S))
def test_every_example_of_docs_api_runs(
    block: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "docs/api.md", "exec"), {})


def test_import_sim_loads_nothing_heavy(tmp_path: Path) -> None:
    code = (
        "import sys, sim; "
        "print(sorted(m for m in ('numpy', 'scipy', 'pandas', 'yaml', 'click', 'sim.api') "
        "if m in sys.modules))"
    )
    done = python(code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"


def test_run_and_compare_are_functions_and_their_modules_still_work() -> None:
    import sim.compare as compare_module
    import sim.run as run_module

    assert sim.run is run_module and callable(sim.run)
    assert sim.compare is compare_module and callable(sim.compare)
    assert run_module.run_scenario.__name__ == "run_scenario"
    assert compare_module.load_results.__name__ == "load_results"


def test_tables_are_the_files_the_cli_writes(tmp_path: Path) -> None:
    result = sim.run("seafood-ban-lifted")
    cli = CliRunner().invoke(main, ["run", "seafood-ban-lifted", "--out", str(tmp_path)])
    assert cli.exit_code == 0, cli.output
    for name in result.names:
        frame = result.table(name)
        written = pd.read_csv(
            tmp_path / "seafood-ban-lifted" / f"{name}.csv", keep_default_na=False
        )
        assert list(frame.columns) == list(written.columns)
        assert len(frame) == len(written)
        for column in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[column]):
                assert frame[column].tolist() == written[column].astype(str).tolist(), column
            else:
                expected = pd.to_numeric(written[column].replace("", np.nan))
                np.testing.assert_allclose(frame[column], expected, rtol=0, atol=5e-7)


def test_a_result_written_from_python_is_the_cli_result(tmp_path: Path) -> None:
    folder = sim.run("seafood-ban-lifted").write(tmp_path / "api")
    cli = CliRunner().invoke(main, ["run", "seafood-ban-lifted", "--out", str(tmp_path / "cli")])
    assert cli.exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(RESULT_FILES)
    for path in folder.iterdir():
        assert path.read_bytes() == (tmp_path / "cli" / folder.name / path.name).read_bytes()


def test_against_and_mappings(tmp_path: Path) -> None:
    nothing = sim.run("seafood-ban-lifted", against="no-policy")
    assert nothing.run["against"]["name"] == "no-policy"
    mine = sim.run({"name": "mine", "extends": "baseline", "end": "2023Q4", "policies": []})
    assert mine.name == "mine" and mine.run["against"]["name"] == "baseline"
    assert (mine.table("welfare")[["consumer_surplus", "total"]] == 0).all().all()


def test_bad_input_is_an_input_error_naming_the_field() -> None:
    with pytest.raises(InputError) as error:
        sim.run({"name": "bad", "extends": "baseline", "policies": [{"id": "x", "type": "ban",
                 "sector": "fish", "exporters": ["JPN"], "importers": ["CHN"],
                 "start": "2023Q2"}]})  # fmt: skip
    assert str(error.value) == (
        "scenario mapping 'bad': policies[0].sector: unknown sector 'fish'; known: seafood, "
        "scallops, chip_tools, critical_minerals, other_goods"
    )
    with pytest.raises(InputError, match="no table 'flow'; this result has: flows, prices"):
        sim.run("baseline").table("flow")


def test_without_pandas_the_message_names_the_extra(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['pandas'] = None\n"
        "import sim\n"
        "try:\n    sim.run('seafood-ban-lifted').table('summary')\n"
        "except Exception as e:\n    print(type(e).__name__, e)\n"
    )
    done = python(code, cwd=tmp_path)
    assert done.stdout == "InputError Result.table needs pandas: pip install 'tradesim[pandas]'\n"
