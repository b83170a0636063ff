"""How much of a dataset's trade rests on cited figures, on arithmetic on them, or on assumptions.

A source is *cited* when it is a sentence of the seed article or a published statistic
with its URL, or a formula that only converts cited figures to another unit (products and
quotients of cited inputs); *derived* when it is arithmetic whose main inputs are, all the way down,
cited; and *assumed* otherwise (an assumption, or arithmetic that rests on one).

A derivation written for people only (``from:`` with a prose formula) is derived only if
every input is. A derivation written as a formula over named inputs (:mod:`sim.formula`)
can be weighed, since each input carries its value: the part of the result that rests on
assumed inputs is known. Such a figure stays *derived* when that part is at most
:data:`SMALL_ASSUMED` of its value (a pair total from customs statistics less small assumed
flows of the other sectors, say), and the assumed part is reported rather than hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sim.datatypes import Figure, Source
from sim.formula import evaluate, is_product

CITED_KINDS = ("article", "statistic")
CLASSES = ("cited", "derived", "assumed")
# Up to a tenth, the assumed inputs are a correction to cited figures; beyond it they are a
# material part of the result, which then counts as assumed.
SMALL_ASSUMED = 0.10

FlowValues = Mapping[str, tuple[float, str]]


@dataclass(frozen=True)
class Derivation:
    """A formula source evaluated on its inputs.

    Attributes
    ----------
    value : float
        The formula's result.
    exposure : dict
        Each assumption the result rests on (an assumed flow ``SECTOR.EXPORTER.IMPORTER``,
        or ``source id = value`` for an assumed stated input), followed through derived
        inputs -> the change of the result if that assumption were taken out. An
        assumption that enters twice with opposite signs (a flow subtracted from a pair
        total and added back in a sum over sectors) cancels.
    """

    value: float
    exposure: dict[str, float]

    @property
    def assumed(self) -> float:
        """The value that rests on assumptions: the sum of the absolute exposures."""
        return sum(abs(change) for change in self.exposure.values())

    @property
    def assumed_share(self) -> float:
        """``assumed`` over ``|value|`` (infinite for a zero result that rests on any)."""
        if self.value == 0:
            return 0.0 if self.assumed == 0 else float("inf")
        return self.assumed / abs(self.value)


Part = tuple[float, str, str]  # value, source id, what it is (flow key or "source = value")


@dataclass
class _Weigher:
    """Classes and derivations of a dataset's sources, each worked out once."""

    sources: Mapping[str, Source]
    flows: FlowValues
    classes: dict[str, str] = field(default_factory=dict)
    derivations: dict[str, Derivation] = field(default_factory=dict)
    open: set[str] = field(default_factory=set)

    def of(self, key: str) -> str:
        if key in self.classes:
            return self.classes[key]
        if key in self.open:  # a derivation that feeds itself rests on nothing cited
            return "assumed"
        self.open.add(key)
        source = self.sources[key]
        if source.kind in CITED_KINDS:
            found = "cited"
        elif source.kind == "derived" and source.formula:
            found = "derived" if self.derive(key).assumed_share <= SMALL_ASSUMED else "assumed"
            stated = [term.source for term in source.terms if not term.flow]
            if (
                is_product(source.formula)
                and len(stated) == len(source.terms)
                and all(self.of(item) == "cited" for item in stated)
            ):
                found = "cited"  # a published figure in another unit is still that figure
        elif source.kind == "derived":
            inputs = [self.of(item) for item in source.inputs]
            found = "derived" if inputs and all(c != "assumed" for c in inputs) else "assumed"
        else:
            found = "assumed"
        self.open.discard(key)
        self.classes[key] = found
        return found

    def exposure_of(self, part: Part) -> dict[str, float]:
        """The assumptions an input part rests on -> how much of its value each is."""
        value, source, label = part
        found = self.of(source)
        if self.sources[source].formula and source in self.derivations:
            derivation = self.derivations[source]
            scale = value / derivation.value if derivation.value else 0.0
            return {leaf: change * scale for leaf, change in derivation.exposure.items()}
        if found == "assumed":
            return {label: value}
        return {}

    def assumed_part(self, value: float, source: str) -> float:
        """How much of a figure ``value`` taken from ``source`` rests on assumptions."""
        return sum(abs(change) for change in self.exposure_of((value, source, source)).values())

    def derive(self, key: str) -> Derivation:
        if key in self.derivations:
            return self.derivations[key]
        values, parts = inputs_of(self.sources[key], self.flows)
        formula = self.sources[key].formula
        value = evaluate(formula, values)
        exposure: dict[str, float] = {}
        for name, number in values.items():
            for part in parts[name]:
                for leaf, amount in self.exposure_of(part).items():
                    change = value - evaluate(formula, {**values, name: number - amount})
                    exposure[leaf] = exposure.get(leaf, 0.0) + change
        self.derivations[key] = Derivation(value, exposure)
        return self.derivations[key]


def inputs_of(source: Source, flows: FlowValues) -> tuple[dict[str, float], dict[str, list[Part]]]:
    """Values of a formula source's inputs, and the (value, source id, label) parts of each.

    A stated input is one part; a flow input ``SECTOR.EXPORTER.IMPORTER`` is the flow's
    value and source, and with ``*`` for the sector it is the sum over all sectors.

    Parameters
    ----------
    source : Source
        A derived source with a ``formula`` and ``terms``.
    flows : mapping
        ``SECTOR.EXPORTER.IMPORTER`` -> (value, source id), as from :func:`flow_values`.
    """
    values: dict[str, float] = {}
    parts: dict[str, list[Part]] = {}
    for term in source.terms:
        if term.flow:
            sector, pair = term.flow.split(".", 1)
            found = [
                (*flows[key], key)
                for key in flows
                if key.split(".", 1)[1] == pair and sector in ("*", key.split(".", 1)[0])
            ]
            if not found:
                raise KeyError(f"source '{source.id}' uses flow '{term.flow}', not in the dataset")
            parts[term.name] = found
        else:
            assert term.value is not None
            parts[term.name] = [(term.value, term.source, f"{term.source} = {term.value:g}")]
        values[term.name] = sum(part[0] for part in parts[term.name])
    return values, parts


def classify(sources: Mapping[str, Source], flows: FlowValues | None = None) -> dict[str, str]:
    """``cited``, ``derived`` or ``assumed`` for every source, following derived inputs.

    Parameters
    ----------
    sources : mapping
        Source id -> :class:`~sim.dataset.Source`.
    flows : mapping, optional
        ``SECTOR.EXPORTER.IMPORTER`` -> (value, source id), needed when a formula source
        takes a flow of the dataset as an input.
    """
    weigher = _Weigher(sources, flows or {})
    return {key: weigher.of(key) for key in sources}


def derivations(
    sources: Mapping[str, Source], flows: FlowValues | None = None
) -> dict[str, Derivation]:
    """Every formula source evaluated: its value and the part that rests on assumptions."""
    weigher = _Weigher(sources, flows or {})
    for key in sources:
        weigher.of(key)
    return dict(weigher.derivations)


@dataclass(frozen=True)
class TradeProvenance:
    """Baseline cross-border trade value by the class of its source.

    Attributes
    ----------
    total : float
        Cross-border trade value of the baseline (home-market sales excluded).
    by_class : dict
        ``cited``, ``derived`` and ``assumed`` -> value.
    assumed_in_derived : float
        Part of the ``derived`` value that rests on small assumed inputs.
    """

    total: float
    by_class: dict[str, float]
    assumed_in_derived: float = 0.0

    def share(self, name: str) -> float:
        """Share of ``total`` whose source is of class ``name`` (0 to 1)."""
        return self.by_class[name] / self.total if self.total > 0 else 0.0


def flow_figures(figures: list[Figure]) -> list[tuple[str, str, float, str]]:
    """``(origin, destination, value, source)`` of the ``flow.SECTOR.ORIGIN.DEST`` figures."""
    flows = []
    for figure in figures:
        parts = figure.item.split(".")
        if parts[0] == "flow" and len(parts) == 4:
            flows.append((parts[2], parts[3], figure.value, figure.source))
    return flows


def flow_values(figures: list[Figure]) -> dict[str, tuple[float, str]]:
    """``SECTOR.ORIGIN.DEST`` -> (value, source) of the ``flow.`` figures."""
    return {
        figure.item.removeprefix("flow."): (figure.value, figure.source)
        for figure in figures
        if figure.item.startswith("flow.") and figure.item.count(".") == 3
    }


def trade_provenance(
    flows: list[tuple[str, str, float, str]],
    sources: Mapping[str, Source],
    values: FlowValues | None = None,
) -> TradeProvenance:
    """Cross-border trade value by the class of each flow's source.

    Parameters
    ----------
    flows : list of (origin, destination, value, source id)
    sources : mapping
        Source id -> :class:`~sim.dataset.Source`.
    values : mapping, optional
        All flows by ``SECTOR.ORIGIN.DEST`` (:func:`flow_values`), for formula sources
        that take flows as inputs.
    """
    weigher = _Weigher(sources, values or {})
    by_class = dict.fromkeys(CLASSES, 0.0)
    assumed_in_derived = 0.0
    for origin, destination, value, source in flows:
        if origin != destination:
            found = weigher.of(source)
            by_class[found] += value
            if found == "derived":
                assumed_in_derived += weigher.assumed_part(value, source)
    return TradeProvenance(sum(by_class.values()), by_class, assumed_in_derived)
