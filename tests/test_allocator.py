"""The C allocator keeps freed memory for reuse in tradesim processes (sim/allocator.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only"
)

# Where a fresh 20 MB array lives: glibc's heap ("[heap]" in /proc/self/maps) or a
# mapping of its own, which the kernel faults in anew every time.
PROBE = """
import sys
import numpy as np
from sim.allocator import reuse_freed_memory
accepted = reuse_freed_memory() if sys.argv[1] == "set" else None
array = np.ones(2_500_000)
address = array.ctypes.data
for line in open("/proc/self/maps"):
    span, *rest = line.split()
    low, high = (int(x, 16) for x in span.split("-"))
    if low <= address < high:
        print(accepted, "heap" if line.rstrip().endswith("[heap]") else "own mapping")
"""


def _where(mode: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode],
        env=env or os.environ.copy(),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_large_arrays_come_from_the_reused_heap() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.pop("GLIBC_TUNABLES", None)
    assert _where("leave", env) == "None own mapping"
    assert _where("set", env) == "True heap"


def test_a_users_own_allocator_setting_wins() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    clean.pop("GLIBC_TUNABLES", None)
    # the user's threshold, as a tunable or a variable: large arrays keep their own mapping
    assert _where("set", {**clean, "GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=131072"}) == (
        "True own mapping"
    )
    assert _where("set", {**clean, "MALLOC_MMAP_THRESHOLD_": "131072"}) == "True own mapping"
    # another parameter set (as Dask sets the trim threshold): the threshold is still ours
    assert _where("set", {**clean, "MALLOC_TRIM_THRESHOLD_": "65536"}) == "True heap"


def test_the_command_line_sets_it() -> None:
    # The group's callback runs before every command: a real subprocess of the CLI.
    probe = (
        "import sys, click; from sim.cli import main\n"
        "@main.command()\n"
        "def probe():\n"
        "    import numpy as np\n"
        "    a = np.ones(2_500_000)\n"
        "    for line in open('/proc/self/maps'):\n"
        "        low, high = (int(x, 16) for x in line.split()[0].split('-'))\n"
        "        if low <= a.ctypes.data < high:\n"
        "            print('heap' if line.rstrip().endswith('[heap]') else 'own mapping')\n"
        "main(['probe'])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.pop("GLIBC_TUNABLES", None)
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "heap", done.stderr
