r"""Trade indicators and sub-national satellites (pure functions over arrays).

Satellite method (shift-share): a satellite such as Hokkaido holds a known share of its
region's output of a sector and known shares of the region's exports to some importers.
Its sales to each destination change in the same proportion as the region's sales there;
sales not attributed to a listed importer move with the region's remaining sales. Its
producer price and volume then follow from its own revenue change under the sector's
supply elasticity: revenue ratio :math:`R = \hat p^{1+\eta}`, so
:math:`\hat p = R^{1/(1+\eta)}` and volume :math:`= R / \hat p`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.datatypes import Satellite
from sim.model import FloatArray


def trade_values(value: FloatArray) -> dict[str, FloatArray]:
    """Exports, imports, net exports and output from bilateral values.

    Parameters
    ----------
    value : ndarray, shape (..., sector, origin, destination)
        Flow values; the diagonal is home-market sales.

    Returns
    -------
    dict of ndarray, each shape (..., sector, region)
        ``exports`` and ``imports`` exclude home sales; ``output`` includes them.
    """
    n = value.shape[-1]
    cross = value * (1.0 - np.eye(n))
    exports = cross.sum(axis=-1)
    imports = cross.sum(axis=-2)
    return {
        "exports": exports,
        "imports": imports,
        "net_exports": exports - imports,
        "output": value.sum(axis=-1),
    }


@dataclass(frozen=True)
class SatelliteFigures:
    """A satellite's figures on one path, arrays over periods."""

    sales: FloatArray
    exports: dict[str, FloatArray]
    producer_price: FloatArray
    volume: FloatArray


def satellite_figures(
    satellite: Satellite,
    region_index: int,
    importer_index: dict[str, int],
    base_row: FloatArray,
    value_rows: FloatArray,
    eta: FloatArray,
) -> SatelliteFigures:
    """Shift-share figures of a satellite along a path.

    Parameters
    ----------
    satellite : Satellite
    region_index : int
        Position of the satellite's region.
    importer_index : dict
        Importer code -> position, for the satellite's listed export shares.
    base_row : ndarray, shape (destination,)
        The region's baseline annual sales of the sector to each destination.
    value_rows : ndarray, shape (period, destination)
        The region's sales values on the path (same unit and time basis as ``base_row``).
    eta : ndarray, shape (period,)
        The region's supply elasticity of the sector in each period.
    """
    own = np.zeros_like(base_row)
    listed = np.zeros(base_row.shape, dtype=bool)
    for code, share in satellite.export_shares.items():
        k = importer_index[code]
        own[k] = share * base_row[k]
        listed[k] = True
    total = satellite.output_share * base_row.sum()
    rest = base_row[~listed].sum()
    rest_share = (total - own[listed].sum()) / rest if rest > 0 else 0.0
    own[~listed] = rest_share * base_row[~listed]
    ratio = np.divide(value_rows, base_row, out=np.ones_like(value_rows), where=base_row > 0)
    sales_by_destination = own * ratio
    sales = sales_by_destination.sum(axis=1)
    revenue_ratio = sales / total if total > 0 else np.ones_like(sales)
    finite = np.isfinite(eta)
    price = np.where(finite, revenue_ratio ** (1.0 / (1.0 + np.where(finite, eta, 0.0))), 1.0)
    exports = {
        code: sales_by_destination[:, importer_index[code]] for code in satellite.export_shares
    }
    return SatelliteFigures(sales, exports, price, np.where(price > 0, revenue_ratio / price, 0.0))
