"""Process-wide settings the package makes before numpy is imported."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = "import sim; from numpy._core import multiarray; print(multiarray._get_madvise_hugepage())"


def _probe(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_numpy_is_told_not_to_ask_for_huge_pages() -> None:
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    assert _probe(env) == "False"


def test_a_users_own_huge_page_setting_wins() -> None:
    env = {**os.environ, "NUMPY_MADVISE_HUGEPAGE": "1"}
    assert _probe(env) == "True"
