"""tradesim: a trade-scenario simulator.

A scenario (YAML) names trade policies and their dates; a multi-region, multi-sector
Armington partial-equilibrium model is solved for every quarter of the scenario and the
results are written as tidy CSV files.
"""

import os

# The model solves many small linear systems (one per sector and Newton step); a
# multi-threaded BLAS only adds start-up and contention to each (bench/scale.py measured a
# 141-region solve at 14 s with two OpenBLAS threads, 9 s with one). A user's own setting
# wins; it must be made before numpy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"

__all__ = ["__version__"]
