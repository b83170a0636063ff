"""tradesim: a trade-scenario simulator.

A scenario (YAML) names trade policies and their dates; a multi-region, multi-sector
Armington partial-equilibrium model is solved for every quarter of the scenario and the
results are written as tidy CSV files.

The Python API (``docs/api.md``), imported on first use so that ``import sim`` stays light:

- ``sim.run(scenario, *, against=None, draws=None, seed=None) -> sim.Result``
- ``sim.Result``: ``.table(name)`` as a pandas DataFrame, ``.write(folder)``
- ``sim.load_scenario(scenario)``
- ``sim.compare(result_or_folder, ...)`` -> pandas DataFrame
"""

from __future__ import annotations

import os
import sys
import types
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

# The model solves many small linear systems (one per sector and Newton step); a
# multi-threaded BLAS only adds start-up and contention to each (bench/scale.py measured a
# 141-region solve at 14 s with two OpenBLAS threads, 9 s with one). A user's own setting
# wins; it must be made before numpy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# numpy asks the kernel for transparent huge pages for every array of 4 MB or more; where
# the kernel then compacts memory on the first touch (THP "defrag" set to madvise, as on
# the 2-core VMs of docs/performance.md), filling a fresh 313 MB array took 0.82 s against
# 0.15 s without. The arrays here are streamed through once, which huge pages do not speed
# up. A user's own setting wins; numpy reads it when first imported.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

from sim._version import __version__

__all__ = ["Result", "__version__", "compare", "load_scenario", "run"]

# ``sim.run`` and ``sim.compare`` are the API functions of sim.api, but also the names of
# the submodules sim/run.py and sim/compare.py, which Python binds on the package when they
# are imported. Those two modules are therefore made callable: ``sim.run(...)`` calls
# :func:`sim.api.run` and ``sim.run.run_any`` is still the module's function.
_CALLABLE = ("run", "compare")


class _CallableModule(types.ModuleType):
    """A submodule that is also the API function of its name (see above)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from sim import api

        return getattr(api, self.__name__.rpartition(".")[2])(*args, **kwargs)


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _CALLABLE and type(value) is types.ModuleType:
            value.__class__ = _CallableModule
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    if name in _CALLABLE:
        import importlib

        return importlib.import_module(f"sim.{name}")
    if name in ("Result", "load_scenario"):
        from sim import api

        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute '{name}'")
