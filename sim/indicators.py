r"""Trade indicators and sub-national satellites (pure functions over arrays).

Satellite method (shift-share): a satellite such as Hokkaido holds a known share of its
region's output of a sector and known shares of the region's exports to some importers.
Its sales to each destination change in the same proportion as the region's sales there;
sales not attributed to a listed importer move with the region's remaining sales. Its
producer price and volume then follow from its own revenue change under the sector's
supply elasticity: revenue ratio :math:`R = \hat p^{1+\eta}`, so
:math:`\hat p = R^{1/(1+\eta)}` and volume :math:`= R / \hat p`.

A satellite may follow several sectors of its region (Hokkaido's scallops and the rest of
its seafood), each part with its own shares: sales and exports add up over the parts, the
volume index is the parts' volume indices weighted by baseline sales, and the price index
is revenue over volume.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.datatypes import Satellite, SatellitePart
from sim.model import FloatArray
from sim.timepath import PeriodSolution


def trade_values(value: FloatArray, *, overwrite: bool = False) -> dict[str, FloatArray]:
    """Exports, imports, net exports and output from bilateral values.

    Parameters
    ----------
    value : ndarray, shape (..., sector, origin, destination)
        Flow values; the diagonal is home-market sales.
    overwrite : bool
        Whether ``value`` may serve as working memory (a temporary of the caller's): its
        diagonal is then multiplied by 0 in place, which saves a copy of its size.

    Returns
    -------
    dict of ndarray, each shape (..., sector, region)
        ``exports`` and ``imports`` exclude home sales; ``output`` includes them.
    """
    n = value.shape[-1]
    output = value.sum(axis=-1)
    if overwrite and value.flags.c_contiguous and value.flags.writeable:
        # the cells of ``value * (1 - eye)``: every other cell times 1 is itself
        cross = value
        home = cross.reshape(*cross.shape[:-2], n * n)[..., :: n + 1]
        home *= 0.0
    else:
        cross = value * (1.0 - np.eye(n))
    exports = cross.sum(axis=-1)
    imports = cross.sum(axis=-2)
    return {
        "exports": exports,
        "imports": imports,
        "net_exports": exports - imports,
        "output": output,
    }


def producer_sales(
    period: PeriodSolution, sectors: list[int], region: int, sales: FloatArray | None = None
) -> FloatArray:
    """A region's sales of some sectors by destination, a government's purchases included.

    Output a government buys (a ``purchase`` policy) leaves the markets but is still sold
    by the producers, at the producer price: it is counted as a sale in the home market, so
    that a satellite's revenue, price and volume include it.

    Parameters
    ----------
    period : PeriodSolution
    sectors : list of int
    region : int
    sales : ndarray, optional
        ``period.value[sectors, region]``, if already computed (a fresh array of the
        caller's: it is added to).

    Returns
    -------
    ndarray, shape (len(sectors), destination)
        Annual values at producer prices.
    """
    values = period.value[sectors, region].copy() if sales is None else sales
    for segment in period.segments:
        bought = segment.equilibrium.purchased
        if bought is not None:
            price = segment.equilibrium.producer_price[sectors, region]
            values[:, region] += segment.weight * price * bought[sectors, region]
    return values


@dataclass(frozen=True)
class SatelliteFigures:
    """A satellite's figures on one path, arrays over periods.

    ``volume`` is an index (baseline year = 1) and ``producer_price`` the revenue ratio
    over it, so with several parts the price is their sales-weighted (Paasche) index.
    """

    sales: FloatArray
    exports: dict[str, FloatArray]
    producer_price: FloatArray
    volume: FloatArray


def part_sales(
    part: SatellitePart, importer_index: dict[str, int], base_row: FloatArray
) -> FloatArray:
    """A satellite part's baseline sales to each destination (shift-share).

    Parameters
    ----------
    part : SatellitePart
    importer_index : dict
        Importer code -> position.
    base_row : ndarray, shape (destination,)
        The region's baseline annual sales of the part's sector to each destination.
    """
    own = np.zeros_like(base_row)
    listed = np.zeros(base_row.shape, dtype=bool)
    for code, share in part.export_shares.items():
        k = importer_index[code]
        own[k] = share * base_row[k]
        listed[k] = True
    total = part.output_share * base_row.sum()
    rest = base_row[~listed].sum()
    rest_share = (total - own[listed].sum()) / rest if rest > 0 else 0.0
    own[~listed] = rest_share * base_row[~listed]
    return own


def satellite_figures(
    satellite: Satellite,
    region_index: int,
    importer_index: dict[str, int],
    base_rows: FloatArray,
    value_rows: FloatArray,
    volume_rows: FloatArray,
) -> SatelliteFigures:
    """Shift-share figures of a satellite along a path.

    Parameters
    ----------
    satellite : Satellite
    region_index : int
        Position of the satellite's region (its home market).
    importer_index : dict
        Importer code -> position, for the satellite's listed export shares.
    base_rows : ndarray, shape (part, destination)
        The region's baseline annual sales of each part's sector to each destination.
    value_rows : ndarray, shape (..., part, period, destination)
        The region's sales values on the path (same unit and time basis as ``base_rows``);
        leading axes (such as parameter draws) are carried through to every figure.
    volume_rows : ndarray, shape (..., part, period)
        The region's output of each part's sector in each period over its baseline
        output: the satellite's producers respond to the market as their region's do.
    """
    shape = value_rows.shape[:-3] + value_rows.shape[-2:-1]  # (..., period)
    sales = np.zeros(shape)
    base_total = 0.0
    volume_value = np.zeros(shape)  # each part's volume index times its baseline sales
    exports = {code: np.zeros(shape) for code in satellite.importers}
    for k, part in enumerate(satellite.parts):
        base_row = base_rows[k]
        own = part_sales(part, importer_index, base_row)
        values = value_rows[..., k, :, :]
        ratio = np.divide(values, base_row, out=np.ones_like(values), where=base_row > 0)
        by_destination = own * ratio
        part_sales_path = by_destination.sum(axis=-1)
        total = own.sum()
        revenue_ratio = part_sales_path / total if total > 0 else np.ones(shape)
        volume_value += total * volume_rows[..., k, :]
        sales += part_sales_path
        base_total += total
        for code in part.export_shares:
            exports[code] += by_destination[..., importer_index[code]]
    revenue_ratio = sales / base_total if base_total > 0 else np.ones(shape)
    volume = volume_value / base_total if base_total > 0 else np.ones(shape)
    price = np.divide(revenue_ratio, volume, out=np.zeros(shape), where=volume > 0)
    return SatelliteFigures(sales, exports, price, volume)


def baseline_exports(
    satellite: Satellite, region_index: int, importer_index: dict[str, int], base_rows: FloatArray
) -> float:
    """A satellite's baseline cross-border sales, summed over its parts.

    Parameters
    ----------
    satellite : Satellite
    region_index : int
        Position of the satellite's region, whose home market is not an export.
    importer_index : dict
        Importer code -> position.
    base_rows : ndarray, shape (part, destination)
        The region's baseline annual sales of each part's sector.
    """
    total = 0.0
    for k, part in enumerate(satellite.parts):
        own = part_sales(part, importer_index, base_rows[k])
        total += float(own.sum() - own[region_index])
    return total
