"""Structural-gravity general equilibrium (``model: gravity``): datasets, solver, tables."""
