"""Result tables of a gravity run, with the columns of the partial-equilibrium results.

The model is static: the ``period`` column holds the data year and ``sector`` is ``all``.
Flows are the modelled flows (baseline: fitted from the trade costs), so a scenario with no
policy reproduces its baseline exactly. Per-country indicators (``indicators.csv``):

- ``factory_gate_price`` p_i (baseline 1), ``inward_multilateral_resistance`` P_j (the
  buyer's price index, 1 for the reference importer), ``outward_multilateral_resistance``
  Pi_i;
- ``real_gdp`` Y_i / P_i, ``welfare`` real expenditure E_i / P_i, ``terms_of_trade``
  p_i / P_i;
- ``output`` Y_i, ``expenditure`` E_i, ``foreign_exports``, ``foreign_imports`` and
  ``intranational_trade`` (modelled values).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.percent import percent_change_of
from sim.tables import (
    FLOW_COLUMNS,
    INDICATOR_COLUMNS,
    PRICE_COLUMNS,
    SUMMARY_COLUMNS,
    WELFARE_COLUMNS,
    Row,
    Table,
)

FloatArray = NDArray[np.float64]
SECTOR = "all"


@dataclass(frozen=True)
class GravitySolution:
    """Baseline and counterfactual of a gravity run, as arrays over countries.

    Attributes
    ----------
    regions : tuple of str
    flows, baseline_flows : ndarray, shape (n, n)
    price : ndarray, shape (n,)
        Factory-gate prices (baseline 1).
    inward, baseline_inward, outward, baseline_outward : ndarray, shape (n,)
    output, baseline_output, expenditure, baseline_expenditure : ndarray, shape (n,)
    """

    regions: tuple[str, ...]
    flows: FloatArray
    baseline_flows: FloatArray
    price: FloatArray
    inward: FloatArray
    baseline_inward: FloatArray
    outward: FloatArray
    baseline_outward: FloatArray
    output: FloatArray
    baseline_output: FloatArray
    expenditure: FloatArray
    baseline_expenditure: FloatArray


def _change(value: float, base: float) -> tuple[float, float, float, float]:
    return (float(value), float(base), float(value - base), percent_change_of(value, base))


def indicator_arrays(solution: GravitySolution) -> dict[str, tuple[str, FloatArray, FloatArray]]:
    """Indicator name -> (unit, counterfactual values, baseline values), per country."""
    s = solution
    foreign = ~np.eye(len(s.regions), dtype=bool)
    ones = np.ones(len(s.regions))
    return {
        "factory_gate_price": ("index", s.price, ones),
        "inward_multilateral_resistance": ("index", s.inward, s.baseline_inward),
        "outward_multilateral_resistance": ("index", s.outward, s.baseline_outward),
        "real_gdp": ("value", s.output / s.inward, s.baseline_output / s.baseline_inward),
        "welfare": (
            "value",
            s.expenditure / s.inward,
            s.baseline_expenditure / s.baseline_inward,
        ),
        "terms_of_trade": ("index", s.price / s.inward, ones / s.baseline_inward),
        "output": ("value", s.output, s.baseline_output),
        "expenditure": ("value", s.expenditure, s.baseline_expenditure),
        "foreign_exports": (
            "value",
            (s.flows * foreign).sum(axis=1),
            (s.baseline_flows * foreign).sum(axis=1),
        ),
        "foreign_imports": (
            "value",
            (s.flows * foreign).sum(axis=0),
            (s.baseline_flows * foreign).sum(axis=0),
        ),
        "intranational_trade": ("value", np.diag(s.flows), np.diag(s.baseline_flows)),
    }


def gravity_tables(solution: GravitySolution, period: str, unit: str) -> dict[str, Table]:
    """The five result tables of a gravity run.

    Parameters
    ----------
    solution : GravitySolution
    period : str
        The data year.
    unit : str
        The dataset's value unit (for ``value`` indicators).
    """
    s = solution
    regions = s.regions
    n = len(regions)
    flows: list[Row] = []
    for i in range(n):
        for j in range(n):
            value, base = s.flows[i, j], s.baseline_flows[i, j]
            v, b, change, pct = _change(value, base)
            flows.append(
                (period, SECTOR, regions[i], regions[j], v, b, change, pct, v / s.price[i], b)
            )
    prices: list[Row] = [
        (
            period,
            SECTOR,
            regions[k],
            float(s.price[k]),
            1.0,
            float(s.inward[k]),
            float(s.baseline_inward[k]),
            float(s.output[k]),
            float(s.baseline_output[k]),
        )
        for k in range(n)
    ]
    # Equivalent variation: the change in real expenditure valued at baseline prices.
    ev = s.expenditure / (s.inward / s.baseline_inward) - s.baseline_expenditure
    nan = float("nan")
    welfare: list[Row] = [
        (
            period,
            regions[k],
            SECTOR,
            nan,
            nan,
            nan,
            nan,
            nan,
            float(ev[k]),
            100.0 * float(ev[k]) / float(s.baseline_output[k]),
            nan,
        )
        for k in range(n)
    ]
    indicators: list[Row] = []
    arrays = indicator_arrays(s)
    for name in sorted(arrays):
        kind, values, bases = arrays[name]
        for k in range(n):
            indicators.append(
                (period, regions[k], SECTOR, name, unit if kind == "value" else kind)
                + _change(values[k], bases[k])
            )
    indicators.sort(key=lambda r: r[:4])
    summary: list[Row] = []
    for i in range(n):
        for j in range(n):
            if i != j:
                summary.append(
                    ("exports", SECTOR, regions[i], regions[j], unit)
                    + _change(s.flows[i, j], s.baseline_flows[i, j])
                )
    for k in range(n):
        summary.append(
            ("welfare", SECTOR, regions[k], "", unit, float(ev[k]), 0.0, float(ev[k]), nan)
        )
        share = 100.0 * float(ev[k]) / float(s.baseline_output[k])
        summary.append(("welfare_pct_gdp", SECTOR, regions[k], "", "%", share, 0.0, share, nan))
        real = arrays["real_gdp"]
        summary.append(("real_gdp", SECTOR, regions[k], "", unit) + _change(real[1][k], real[2][k]))
    summary.sort(key=lambda r: r[:4])
    return {
        "flows.csv": Table(FLOW_COLUMNS, flows),
        "prices.csv": Table(PRICE_COLUMNS, prices),
        "welfare.csv": Table(WELFARE_COLUMNS, welfare),
        "indicators.csv": Table(INDICATOR_COLUMNS, indicators),
        "summary.csv": Table(SUMMARY_COLUMNS, summary),
    }
