"""tradesim: a trade-scenario simulator.

A scenario (YAML) names trade policies and their dates; a multi-region, multi-sector
Armington partial-equilibrium model is solved for every quarter of the scenario and the
results are written as tidy CSV files.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
