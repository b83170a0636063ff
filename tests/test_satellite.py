"""The shift-share satellite (sim.indicators.satellite_figures): volume, price and sales."""

from __future__ import annotations

import numpy as np
import pytest

from sim.datatypes import Satellite, SatellitePart
from sim.indicators import satellite_figures

IMPORTERS = {"JPN": 0, "CHN": 1, "USA": 2}
BASE = np.array([[60.0, 30.0, 10.0]])  # the region's baseline sales of one sector


def _satellite(shares: dict[str, float], output_share: float = 0.5) -> Satellite:
    return Satellite("island", "Island", "JPN", (SatellitePart("fish", output_share, shares),))


def test_a_satellite_with_its_regions_mix_has_its_regions_price_and_volume() -> None:
    # Output share 0.5 and export shares of 0.5 everywhere: the region in miniature.
    satellite = _satellite({"CHN": 0.5, "USA": 0.5})
    price = np.array([[1.0, 0.9, 1.1]])  # (part, period)
    output = np.array([[1.0, 0.95, 1.04]])  # the region's output over its baseline
    # Each destination's value moves differently; the region's revenue is p * y * Y.
    weights = np.array([[1.0, 1.0, 1.0], [1.2, 0.7, 1.0], [0.9, 1.3, 0.9]])
    weights *= (price * output).T / (weights @ BASE[0] / BASE.sum())[:, None]
    values = (weights * BASE)[None]  # (part, period, destination)
    figures = satellite_figures(satellite, 0, IMPORTERS, BASE, values, output)
    np.testing.assert_allclose(figures.producer_price, price[0], rtol=1e-12)
    np.testing.assert_allclose(figures.volume, output[0], rtol=1e-12)


def test_a_satellite_selling_more_to_a_falling_market_loses_more_price_not_volume() -> None:
    exposed = _satellite({"CHN": 0.9, "USA": 0.1})
    values = np.array([[[60.0, 0.0, 10.0]]])  # China-bound sales stop
    output = np.array([[0.97]])
    figures = satellite_figures(exposed, 0, IMPORTERS, BASE, values, output)
    region_revenue = values.sum() / BASE.sum()
    assert figures.volume[0] == pytest.approx(0.97, rel=1e-12)
    assert figures.producer_price[0] < region_revenue / 0.97  # the region's price
    own = np.array([50.0 - 27.0 - 1.0, 0.9 * 30.0, 0.1 * 10.0])  # the rest sold at home
    expected_sales = own[0] + 0.0 + own[2]
    assert figures.sales[0] == pytest.approx(expected_sales, rel=1e-12)
    assert figures.producer_price[0] == pytest.approx(expected_sales / own.sum() / 0.97)


def test_figures_stay_finite_when_the_regions_price_reverses() -> None:
    # Supply still falling after the price has recovered (adjustment to an earlier move):
    # the figures are ratios of positive numbers, never a power of a log-change ratio.
    satellite = _satellite({"CHN": 0.7})
    output = np.array([[1.0, 0.9, 0.93, 0.95]])
    price = np.array([[1.0, 0.8, 1.0 + 1e-12, 1.01]])
    values = np.broadcast_to(BASE[0], (1, 4, 3)) * (price * output)[..., None]
    with np.errstate(all="raise"):
        figures = satellite_figures(satellite, 0, IMPORTERS, BASE, values, output)
    assert np.isfinite(figures.producer_price).all()
    assert np.isfinite(figures.volume).all()
