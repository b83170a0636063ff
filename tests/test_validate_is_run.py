"""What ``validate`` accepts, ``run`` can run: input that would fail at run time is refused
at validate time with one located line and exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SCENARIOS


def tradesim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


CASES = {
    # 1e305 overflows the solver's powers of prices: "no equilibrium" at run time before.
    "huge-sigma": (
        "parameters:\n  seafood:\n    sigma: {short_run: 1.0e+305, long_run: 1.0e+305}\n",
        "case.yaml:5:24: parameters.seafood.sigma.short_run: sigma must be at most 100",
    ),
    "huge-eta": (
        "parameters:\n  seafood:\n    eta: {short_run: 0.5, long_run: 1.0e+300}\n",
        "case.yaml:5:37: parameters.seafood.eta.long_run: eta must be at most 100",
    ),
    # An infinite bound let every draw be infinite.
    "infinite-bound": (
        "uncertainty:\n  seafood.sigma.long_run: {dist: uniform, low: 2, high: .inf}\n",
        "case.yaml:4:57: uncertainty.seafood.sigma.long_run.high: high must be a finite number",
    ),
    # A folder name longer than the file system allows: a write error at the end of a run.
    "long-name": ("", "case.yaml:1:7: name: name is 300 bytes long; the limit is 200"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_refuses_what_run_could_not_do(case: str, tmp_path: Path) -> None:
    body, message = CASES[case]
    name = "x" * 300 if case == "long-name" else case
    (tmp_path / "case.yaml").write_text(
        f"name: {name}\nextends: {SCENARIOS / 'seafood-ban-lifted.yaml'}\n{body}"
    )
    for arguments in (["validate", "case.yaml"], ["run", "case.yaml", "--out", "out"]):
        done = tradesim(*arguments, cwd=tmp_path)
        command = arguments[0]
        assert done.returncode == 2, (command, done.stderr)
        assert done.stderr.startswith("Error: ") and message in done.stderr, done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_large_but_plausible_elasticity_still_runs(tmp_path: Path) -> None:
    (tmp_path / "case.yaml").write_text(
        f"name: elastic\nextends: {SCENARIOS / 'seafood-ban-lifted.yaml'}\n"
        "parameters:\n  seafood:\n    sigma: {short_run: 8, long_run: 20}\n"
    )
    done = tradesim("run", "case.yaml", "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "elastic" / "summary.csv").exists()
