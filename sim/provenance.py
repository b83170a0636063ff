"""How much of a dataset's trade rests on cited figures, on arithmetic on them, or on assumptions.

A source is *cited* when it is a sentence of the seed article or a published statistic
with its URL; *derived from cited figures* when it is arithmetic whose inputs are, all the
way down, cited; and *assumed* otherwise (an assumption, or arithmetic that uses one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sim.datatypes import Figure, Source

CITED_KINDS = ("article", "statistic")
CLASSES = ("cited", "derived", "assumed")


def classify(sources: Mapping[str, Source]) -> dict[str, str]:
    """``cited``, ``derived`` or ``assumed`` for every source, following derived inputs.

    Parameters
    ----------
    sources : mapping
        Source id -> :class:`~sim.dataset.Source`.
    """
    classes: dict[str, str] = {}

    def of(key: str, seen: frozenset[str]) -> str:
        if key in classes:
            return classes[key]
        source = sources[key]
        if source.kind in CITED_KINDS:
            found = "cited"
        elif source.kind == "derived" and key not in seen:
            inputs = [of(item, seen | {key}) for item in source.inputs]
            found = "derived" if inputs and all(c != "assumed" for c in inputs) else "assumed"
        else:
            found = "assumed"
        classes[key] = found
        return found

    for key in sources:
        of(key, frozenset())
    return classes


@dataclass(frozen=True)
class TradeProvenance:
    """Baseline cross-border trade value by the class of its source.

    Attributes
    ----------
    total : float
        Cross-border trade value of the baseline (home-market sales excluded).
    by_class : dict
        ``cited``, ``derived`` and ``assumed`` -> value.
    """

    total: float
    by_class: dict[str, float]

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


def trade_provenance(
    flows: list[tuple[str, str, float, str]], sources: Mapping[str, Source]
) -> TradeProvenance:
    """Cross-border trade value by the class of each flow's source.

    Parameters
    ----------
    flows : list of (origin, destination, value, source id)
    sources : mapping
        Source id -> :class:`~sim.dataset.Source`.
    """
    classes = classify(sources)
    by_class = dict.fromkeys(CLASSES, 0.0)
    for origin, destination, value, source in flows:
        if origin != destination:
            by_class[classes[source]] += value
    return TradeProvenance(sum(by_class.values()), by_class)
