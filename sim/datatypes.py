"""The baseline dataset's types: labels, arrays and the provenance of every figure.

Plain frozen records with no reading or checking of files (that is :mod:`sim.dataset`),
so the model, time path and tables can take a dataset without importing its reader.

Array axes: ``(sector, origin, destination)`` for flows and tariffs; ``(sector, region)``
for elasticities, where ``sigma``, ``sigma_import`` and ``eps`` belong to the destination
(the buyer) and ``eta`` to the origin (the producer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sim.processing import Routes

FloatArray = NDArray[np.float64]
SOURCE_KINDS = ("article", "statistic", "derived", "assumption")
# The elasticity arrays of a dataset. ``sigma`` is the elasticity between home goods and
# imports (the only one when demand is not nested), ``sigma_import`` the one among import
# origins: equal to ``sigma`` in a sector that gives one ``sigma``.
ELASTICITIES = ("sigma", "eps", "eta", "sigma_import")
# The names a dataset sector or a scenario's ``parameters`` may give, and the arrays each
# sets: ``sigma`` sets both nests to one value (one-level CES).
ELASTICITY_KEYS: dict[str, tuple[str, ...]] = {
    "sigma": ("sigma", "sigma_import"),
    "sigma_domestic": ("sigma",),
    "sigma_import": ("sigma_import",),
    "eps": ("eps",),
    "eta": ("eta",),
}


@dataclass(frozen=True)
class Term:
    """A named input of a derived figure's formula.

    Either a stated number with its own source, or a flow of the dataset
    (``SECTOR.EXPORTER.IMPORTER``), whose value and source are the flow's.
    """

    name: str
    value: float | None = None
    source: str = ""
    flow: str = ""


@dataclass(frozen=True)
class Source:
    """Where a figure comes from.

    ``range`` names the published range a value was chosen within, when the figure is a
    choice rather than a published value (empty otherwise).
    """

    id: str
    kind: str
    citation: str
    quote: str = ""
    inputs: tuple[str, ...] = ()
    range: str = ""
    formula: str = ""
    terms: tuple[Term, ...] = ()

    def __post_init__(self) -> None:
        # folded YAML text keeps line breaks and a trailing newline; a citation is one line
        object.__setattr__(self, "citation", " ".join(self.citation.split()))
        object.__setattr__(self, "quote", " ".join(self.quote.split()))
        object.__setattr__(self, "range", " ".join(self.range.split()))

    @property
    def is_choice(self) -> bool:
        """Whether the figure is a choice within a published range."""
        return bool(self.range)

    def describe(self) -> str:
        """One-line description: URL, quoted sentence, inputs or reason."""
        if self.kind == "article":
            text = f'article: "{self.citation}"'
        elif self.kind == "statistic":
            text = f"{self.citation}" + (f' ("{self.quote}")' if self.quote else "")
        else:
            text = f"{self.kind}: {self.citation}"
        if self.is_choice:
            text += f" [choice within a published range: {self.range}]"
        return text


@dataclass(frozen=True)
class Figure:
    """One sourced number of the dataset, as listed by ``tradesim sources``."""

    item: str
    value: float
    unit: str
    source: str


@dataclass(frozen=True)
class SatellitePart:
    """A satellite's share of one sector of its region."""

    sector: str
    output_share: float
    export_shares: dict[str, float]


@dataclass(frozen=True)
class Satellite:
    """A sub-national part of one region's output (e.g. Hokkaido's seafood and scallops).

    Its ``parts`` each follow one sector of the region; a satellite of one sector has one.
    """

    name: str
    title: str
    region: str
    parts: tuple[SatellitePart, ...]

    @property
    def sector(self) -> str:
        """The sectors it follows, joined by ``+`` (``scallops+seafood``)."""
        return "+".join(part.sector for part in self.parts)

    @property
    def importers(self) -> tuple[str, ...]:
        """Importers with a listed export share in any part, in first-listed order."""
        return tuple(dict.fromkeys(code for part in self.parts for code in part.export_shares))


@dataclass(frozen=True)
class Check:
    """A consistency check run at load time."""

    name: str
    kind: str
    sectors: tuple[str, ...]  # summed: "marine products" span seafood and scallops
    exporter: str
    importers: tuple[str, ...]
    expected: float
    tolerance: float
    source: str


@dataclass(frozen=True)
class Elasticity:
    """Short- and long-run values of one elasticity, shape ``(sector, region)``."""

    short_run: FloatArray
    long_run: FloatArray


@dataclass(frozen=True)
class Dataset:
    """A baseline dataset: labels, arrays and the provenance of every figure.

    Attributes
    ----------
    flows : ndarray, shape (sector, origin, destination)
        Baseline annual flows at producer prices in :attr:`unit`; the diagonal is
        home-market sales.
    tariffs : ndarray, shape (sector, origin, destination)
        Baseline ad valorem tariffs (zero on the diagonal).
    gdp : ndarray, shape (region,)
        GDP in :attr:`unit`.
    elasticities : dict
        ``sigma`` (home goods against imports), ``sigma_import`` (among import origins),
        ``eps`` and ``eta`` as :class:`Elasticity`.
    half_life : ndarray, shape (sector,)
        Quarters for half of the short- to long-run adjustment.
    routes : Routes
        Processing routes (:mod:`sim.processing`); ``flows`` records them as trade
        statistics do, on the legs origin -> processor and processor -> destination.
    """

    name: str
    title: str
    unit: str
    year: int
    regions: tuple[str, ...]
    region_names: tuple[str, ...]
    sectors: tuple[str, ...]
    sector_names: tuple[str, ...]
    flows: FloatArray
    tariffs: FloatArray
    gdp: FloatArray
    elasticities: dict[str, Elasticity]
    half_life: FloatArray
    satellites: tuple[Satellite, ...]
    facts: dict[str, float]
    checks: tuple[Check, ...]
    sources: dict[str, Source]
    figures: tuple[Figure, ...]
    origin: str = ""
    fingerprint: str = ""
    routes: Routes = field(default_factory=Routes.empty)

    def region_index(self, code: str) -> int:
        """Position of a region code."""
        return self.regions.index(code)

    def sector_index(self, code: str) -> int:
        """Position of a sector code."""
        return self.sectors.index(code)

    def exports(
        self, sector: str, exporter: str, importers: tuple[str, ...] | None = None
    ) -> float:
        """Baseline exports of ``exporter`` (home sales excluded), optionally to ``importers``."""
        s, i = self.sector_index(sector), self.region_index(exporter)
        row = self.flows[s, i].copy()
        row[i] = 0.0
        if importers is None:
            return float(row.sum())
        return float(sum(row[self.region_index(j)] for j in importers))
