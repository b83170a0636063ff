"""Baseline datasets with provenance: loading, validation and consistency checks.

A dataset is a single YAML file (format in ``docs/datasets.md``). Every figure in it names
a source: a sentence of the bundled article, a published statistic with its URL, arithmetic
on other sources, or an assumption with its reason. Loading builds the arrays the model
needs and refuses datasets whose figures are incomplete, unsourced or inconsistent.

Array axes: ``(sector, origin, destination)`` for flows and tariffs; ``(sector, region)``
for elasticities, where ``sigma`` and ``eps`` belong to the destination (the buyer) and
``eta`` to the origin (the producer).
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from sim._yaml import Document, FieldPath, load_yaml
from sim.datatypes import ELASTICITIES as ELASTICITIES
from sim.datatypes import ELASTICITY_KEYS as ELASTICITY_KEYS
from sim.datatypes import SOURCE_KINDS as SOURCE_KINDS
from sim.datatypes import Check as Check
from sim.datatypes import Dataset as Dataset
from sim.datatypes import Elasticity as Elasticity
from sim.datatypes import Figure as Figure
from sim.datatypes import FloatArray as FloatArray
from sim.datatypes import Satellite as Satellite
from sim.datatypes import SatellitePart as SatellitePart
from sim.datatypes import Source as Source
from sim.datatypes import Term as Term
from sim.errors import DatasetError
from sim.flowfile import FLOW_LAYOUTS, read_flow_matrix
from sim.formula import FormulaError, formula_names
from sim.processing import Routes, model_flows

PACKAGED = ("japan-china-2022", "gegravity-sample-2006")
MAX_DATASET_BYTES = 200_000_000
MAX_FIGURE = 1e18  # larger figures overflow the model's sums and powers


def dataset_path(name_or_path: str | Path, *, relative_to: Path | None = None) -> Path:
    """Resolve a packaged dataset name or a file path.

    Parameters
    ----------
    name_or_path : str or Path
        A packaged name (``japan-china-2022``) or a path to a dataset file.
    relative_to : Path, optional
        Folder against which a relative path is resolved (the scenario's folder).
    """
    text = str(name_or_path)
    if text in PACKAGED:
        return Path(str(resources.files("sim.data").joinpath(f"{text}.yaml")))
    path = Path(text)
    if not path.is_absolute() and relative_to is not None:
        path = relative_to / path
    return path


def article_text() -> str:
    """The bundled seed article (Japan Times, November 2023)."""
    return resources.files("sim.data").joinpath("article.txt").read_text(encoding="utf-8")


def _normalise(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip()


_Stamp = tuple[str, int, int]
_DATASET_CACHE: dict[_Stamp, tuple[Dataset, tuple[tuple[str, _Stamp], ...]]] = {}


def load_dataset(name_or_path: str | Path, *, relative_to: Path | None = None) -> Dataset:
    """Load, validate and check a dataset.

    Parameters
    ----------
    name_or_path : str or Path
        Packaged dataset name or path to a dataset file.
    relative_to : Path, optional
        Folder for resolving a relative path.

    Returns
    -------
    Dataset

    Raises
    ------
    DatasetError
        If the file is malformed, a figure lacks a source, or a consistency check fails.
    """
    path = dataset_path(name_or_path, relative_to=relative_to)
    if not path.exists():
        known = ", ".join(PACKAGED)
        raise DatasetError(
            f"no dataset '{name_or_path}': not a packaged dataset ({known}) nor an existing file"
        )
    key = _stamp(path)
    cached = _DATASET_CACHE.get(key)
    if cached is not None and all(_stamp(Path(p)) == stamp for p, stamp in cached[1]):
        return cached[0]
    document = load_yaml(path, max_bytes=MAX_DATASET_BYTES, what="dataset")
    if isinstance(document.data, dict) and document.data.get("model") == "gravity":
        raise DatasetError(
            f"dataset '{name_or_path}' is a structural-gravity dataset; "
            "a scenario using it needs 'model: gravity' (see docs/gravity.md)"
        )
    parser = _Parser(document)
    dataset = parser.parse()
    _DATASET_CACHE[key] = (dataset, tuple((str(p), _stamp(p)) for p in parser.extra_files))
    return dataset


def _stamp(path: Path) -> _Stamp:
    """A file's identity for the cache: resolved path, modification time and size."""
    stat = path.stat()
    return (str(path.resolve()), stat.st_mtime_ns, stat.st_size)


class _Parser:
    """Build a :class:`Dataset` from a loaded document, failing with positions."""

    def __init__(self, document: Document) -> None:
        self.doc = document
        self.used_sources: set[str] = set()
        self.figures: list[Figure] = []
        self.extra_files: list[Path] = []
        # each code's position, by the tuple of codes (a dataset's regions, its sectors)
        self._positions: dict[int, tuple[tuple[str, ...], dict[Any, int]]] = {}

    def position(self, codes: tuple[str, ...], code: Any) -> int | None:
        """Where ``code`` is in ``codes``, or None."""
        kept = self._positions.get(id(codes))
        if kept is None or kept[0] is not codes:
            kept = self._positions[id(codes)] = (codes, {c: k for k, c in enumerate(codes)})
        try:
            return kept[1].get(code)
        except TypeError:  # an unhashable value is no code
            return None

    def fail(self, where: FieldPath, message: str) -> DatasetError:
        error = self.doc.error(where, message)
        return DatasetError(
            error.message, path=error.path, line=error.line, column=error.column, field=error.field
        )

    def get(self, mapping: Any, where: FieldPath, key: str, kind: type | tuple[type, ...]) -> Any:
        if not isinstance(mapping, dict):
            raise self.fail(where, "expected a mapping")
        if key not in mapping:
            raise self.fail(where, f"missing required field '{key}'")
        value = mapping[key]
        if kind is float:
            return self.number((*where, key), value)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            name = (
                kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            )
            raise self.fail((*where, key), f"expected {name}, got {type(value).__name__}")
        return value

    def listed(self, data: dict[str, Any], key: str) -> list[Any]:
        """An optional list section (absent = empty); ``null`` or a scalar is refused."""
        value = data.get(key, [])
        if not isinstance(value, list):
            raise self.fail((key,), f"expected a list, got {value!r}")
        return value

    def number(self, where: FieldPath, value: Any, *, allow_inf: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"expected a number, got {value!r}")
        try:
            number = float(value)
        except OverflowError:  # an integer beyond any float
            number = math.inf
        if math.isnan(number) or (math.isinf(number) and not allow_inf):
            raise self.fail(where, f"expected a finite number, got {value!r}")
        if math.isfinite(number) and abs(number) > MAX_FIGURE:
            raise self.fail(
                where, f"{value!r} is larger than {MAX_FIGURE:g} in magnitude; use a larger unit"
            )
        return number

    def source(self, where: FieldPath, value: Any) -> str:
        if not isinstance(value, str) or value not in self.sources:
            raise self.fail(
                where, f"unknown source {value!r}; every figure needs a source id from 'sources'"
            )
        self.used_sources.add(value)
        return value

    def sourced(
        self, where: FieldPath, entry: Any, item: str, unit: str, *, allow_inf: bool = False
    ) -> float:
        """Read ``{value: x, source: id}``."""
        value = self.number(
            (*where, "value"), self.get(entry, where, "value", (int, float)), allow_inf=allow_inf
        )
        self.figures.append(
            Figure(
                item,
                value,
                unit,
                self.source((*where, "source"), self.get(entry, where, "source", str)),
            )
        )
        return value

    def parse(self) -> Dataset:
        data = self.doc.data
        if not isinstance(data, dict):
            raise self.fail(
                (), "a dataset must be a mapping with name, regions, sectors, flows, ..."
            )
        allowed = {
            "name",
            "title",
            "description",
            "year",
            "unit",
            "sources",
            "regions",
            "sectors",
            "flows",
            "tariffs",
            "satellites",
            "facts",
            "checks",
            "processing",
        }
        for key in data:
            if key not in allowed:
                raise self.doc.error(
                    (key,), f"unknown field; allowed: {', '.join(sorted(allowed))}", at_key=True
                )
        name = self.get(data, (), "name", str)
        unit = self.get(data, (), "unit", str)
        year = self.get(data, (), "year", int)
        self.sources = self.parse_sources(self.get(data, (), "sources", dict))
        regions, region_names, gdp = self.parse_regions(self.get(data, (), "regions", list), unit)
        self.regions = regions
        sectors, sector_names, elasticities, half_life = self.parse_sectors(
            self.get(data, (), "sectors", list)
        )
        self.sectors = sectors
        raw_flows = self.get(data, (), "flows", (list, dict))
        if isinstance(raw_flows, dict):
            flows = self.parse_flow_file(raw_flows, unit)
        else:
            flows = self.parse_flows(raw_flows, unit)
        self.check_flow_terms()
        tariffs = self.parse_tariffs(data.get("tariffs", []))
        routes = self.parse_processing(data.get("processing"), flows, unit)
        satellites = self.parse_satellites(self.listed(data, "satellites"))
        facts = self.parse_facts(self.listed(data, "facts"))
        checks = self.parse_checks(self.listed(data, "checks"))
        unused = sorted(set(self.sources) - self.used_sources)
        if unused:
            raise self.fail(
                ("sources", unused[0]), f"source '{unused[0]}' is defined but no figure uses it"
            )
        dataset = Dataset(
            name=name,
            title=str(data.get("title", name)),
            unit=unit,
            year=year,
            regions=regions,
            region_names=region_names,
            sectors=sectors,
            sector_names=sector_names,
            flows=flows,
            tariffs=tariffs,
            gdp=gdp,
            elasticities=elasticities,
            half_life=half_life,
            satellites=satellites,
            facts=facts,
            checks=checks,
            sources=self.sources,
            figures=tuple(self.figures),
            origin=str(self.doc.path),
            fingerprint=_fingerprint(self.doc.path, *self.extra_files),
            routes=routes,
        )
        self.check_consistency(dataset)
        return dataset

    def parse_sources(self, raw: dict[str, Any]) -> dict[str, Source]:
        article = _normalise(article_text())
        sources: dict[str, Source] = {}
        for key, entry in raw.items():
            where: FieldPath = ("sources", key)
            kind = self.get(entry, where, "kind", str)
            if kind not in SOURCE_KINDS:
                raise self.fail(
                    (*where, "kind"),
                    f"unknown source kind '{kind}'; allowed: {', '.join(SOURCE_KINDS)}",
                )
            if kind == "article":
                sentence = self.get(entry, where, "sentence", str)
                if _normalise(sentence) not in article:
                    raise self.fail(
                        (*where, "sentence"),
                        "sentence not found word for word in the bundled article",
                    )
                sources[key] = Source(key, kind, sentence)
            elif kind == "statistic":
                url = self.get(entry, where, "url", str)
                if not url.startswith(("http://", "https://")):
                    raise self.fail(
                        (*where, "url"), "a statistic needs the http(s) URL it was read from"
                    )
                sources[key] = Source(key, kind, url, str(entry.get("quote", "")))
            elif kind == "derived" and "inputs" in entry:
                sources[key] = self.parse_formula_source(key, entry, raw)
            elif kind == "derived":
                inputs = self.get(entry, where, "from", list)
                missing = [item for item in inputs if item not in raw]
                if missing:
                    raise self.fail((*where, "from"), f"unknown source {missing[0]!r}")
                self.used_sources.update(str(item) for item in inputs)
                formula = self.get(entry, where, "formula", str)
                sources[key] = Source(
                    key,
                    kind,
                    f"{formula} (from {', '.join(inputs)})",
                    inputs=tuple(str(item) for item in inputs),
                )
            else:
                sources[key] = Source(key, kind, self.get(entry, where, "reason", str))
            if "range" in entry:
                span = self.get(entry, where, "range", str)
                if kind in ("article", "statistic"):
                    raise self.fail(
                        (*where, "range"),
                        "a published figure is no choice: give 'range' on the derived "
                        "source or assumption that chooses within it",
                    )
                sources[key] = replace(sources[key], range=span)
        return sources

    def parse_formula_source(self, key: str, entry: dict[str, Any], raw: dict[str, Any]) -> Source:
        """A derived source whose ``formula`` is arithmetic over named ``inputs``.

        Each input is ``{value: x, source: id}`` or ``{flow: SECTOR.EXPORTER.IMPORTER}``;
        flow references are checked once the flows are read (:meth:`check_flow_terms`).
        """
        where: FieldPath = ("sources", key)
        formula = self.get(entry, where, "formula", str)
        raw_inputs = self.get(entry, where, "inputs", dict)
        terms: list[Term] = []
        for name, spec in raw_inputs.items():
            at: FieldPath = (*where, "inputs", name)
            if not str(name).isidentifier():
                raise self.fail(at, f"input name {name!r} must be a plain identifier")
            if isinstance(spec, dict) and "flow" in spec:
                terms.append(Term(str(name), flow=self.get(spec, at, "flow", str)))
                continue
            value = self.get(spec, at, "value", float)
            source = self.get(spec, at, "source", str)
            if source not in raw:
                raise self.fail((*at, "source"), f"unknown source {source!r}")
            self.used_sources.add(source)
            terms.append(Term(str(name), value, source))
        try:
            names = formula_names(formula)
        except FormulaError as error:
            raise self.fail((*where, "formula"), str(error)) from None
        unknown = sorted(names - {term.name for term in terms})
        if unknown:
            raise self.fail((*where, "formula"), f"'{unknown[0]}' is not one of its inputs")
        unused = [term.name for term in terms if term.name not in names]
        if unused:
            raise self.fail((*where, "inputs", unused[0]), "input not used by the formula")
        stated = tuple(dict.fromkeys(term.source for term in terms if term.source))
        note = str(entry.get("note", ""))
        listed = ", ".join(
            f"{t.name} = flow {t.flow}" if t.flow else f"{t.name} = {t.value:g} [{t.source}]"
            for t in terms
        )
        return Source(
            key,
            "derived",
            f"{note + ': ' if note else ''}{formula} with {listed}",
            inputs=stated,
            formula=formula,
            terms=tuple(terms),
        )

    def check_flow_terms(self) -> None:
        pairs = {f.item.split(".", 2)[2] for f in self.figures if f.item.startswith("flow.")}
        flows = {f.item.removeprefix("flow.") for f in self.figures if f.item.startswith("flow.")}
        for key, source in self.sources.items():
            for term in source.terms:
                known = (
                    term.flow.split(".", 1)[1] in pairs
                    if term.flow.startswith("*.")
                    else term.flow in flows
                )
                if term.flow and not known:
                    raise self.fail(
                        ("sources", key, "inputs", term.name, "flow"),
                        f"no flow '{term.flow}' (expected SECTOR.EXPORTER.IMPORTER, "
                        "SECTOR may be * for all sectors)",
                    )

    def parse_regions(
        self, raw: list[Any], unit: str
    ) -> tuple[tuple[str, ...], tuple[str, ...], FloatArray]:
        codes: list[str] = []
        names: list[str] = []
        gdp: list[float] = []
        for k, entry in enumerate(raw):
            where: FieldPath = ("regions", k)
            code = self.get(entry, where, "code", str)
            if code in codes:
                raise self.fail((*where, "code"), f"duplicate region '{code}'")
            codes.append(code)
            names.append(str(entry.get("name", code)))
            value = self.number((*where, "gdp"), self.get(entry, where, "gdp", (int, float)))
            if value <= 0:
                raise self.fail((*where, "gdp"), "GDP must be positive")
            gdp.append(value)
            self.figures.append(
                Figure(
                    f"gdp.{code}", value, unit, self.source((*where, "source"), entry.get("source"))
                )
            )
        if len(codes) < 2:
            raise self.fail(("regions",), "a dataset needs at least two regions")
        return tuple(codes), tuple(names), np.array(gdp)

    def parse_sectors(
        self, raw: list[Any]
    ) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, Elasticity], FloatArray]:
        codes: list[str] = []
        names: list[str] = []
        n = len(self.regions)
        values: dict[str, tuple[list[FloatArray], list[FloatArray]]] = {
            e: ([], []) for e in ELASTICITIES
        }
        half_lives: list[float] = []
        for k, entry in enumerate(raw):
            where: FieldPath = ("sectors", k)
            code = self.get(entry, where, "code", str)
            if code in codes:
                raise self.fail((*where, "code"), f"duplicate sector '{code}'")
            codes.append(code)
            names.append(str(entry.get("name", code)))
            if "source" in entry:
                self.source((*where, "source"), entry["source"])
            nested = [key for key in ("sigma_domestic", "sigma_import") if key in entry]
            if "sigma" in entry and nested:
                raise self.fail(
                    (*where, nested[0]),
                    "give either sigma (one nest) or sigma_domestic and sigma_import, not both",
                )
            keys = ["sigma_domestic", "sigma_import"] if nested else ["sigma"]
            rows: dict[str, tuple[FloatArray, FloatArray]] = {}
            for key in (*keys, "eps", "eta"):
                spec = self.get(entry, where, key, dict)
                rows[key] = self.parse_elasticity((*where, key), spec, key, code, n)
            for key, (short, long) in rows.items():
                for name in ELASTICITY_KEYS[key]:
                    values[name][0].append(short)
                    values[name][1].append(long)
            half = self.sourced(
                (*where, "half_life_quarters"),
                self.get(entry, where, "half_life_quarters", dict),
                f"half_life.{code}",
                "quarters",
            )
            if half <= 0:
                raise self.fail(
                    (*where, "half_life_quarters", "value"), "half-life must be positive"
                )
            half_lives.append(half)
        elasticities = {
            e: Elasticity(np.array(sr).reshape(-1, n), np.array(lr).reshape(-1, n))
            for e, (sr, lr) in values.items()
        }
        return tuple(codes), tuple(names), elasticities, np.array(half_lives)

    def parse_elasticity(
        self, where: FieldPath, spec: dict[str, Any], name: str, sector: str, regions: int
    ) -> tuple[FloatArray, FloatArray]:
        """Short- and long-run values by region: ``{short_run, long_run, source, regions}``.

        ``regions: {CODE: {short_run, long_run, source}}`` overrides the values of a few
        regions (the producer's for ``eta``, the buyer's for the others).
        """
        allowed = ("short_run", "long_run", "source", "regions")
        for key in spec:
            if key not in allowed:
                raise self.doc.error(
                    (*where, key), f"unknown field; allowed: {', '.join(allowed)}", at_key=True
                )
        short, long = (
            np.full(regions, self.elasticity(where, spec, name, run, sector))
            for run in ("short_run", "long_run")
        )
        overrides = spec.get("regions", {})
        if not isinstance(overrides, dict):
            raise self.fail((*where, "regions"), "expected a mapping of region codes")
        for region, block in overrides.items():
            spot = (*where, "regions", region)
            (r,) = self.region(spot, region)
            if not isinstance(block, dict):
                raise self.fail(spot, "expected {short_run, long_run, source}")
            for key in block:
                if key not in allowed[:3]:
                    raise self.doc.error(
                        (*spot, key),
                        f"unknown field; allowed: {', '.join(allowed[:3])}",
                        at_key=True,
                    )
            label = f"{sector}.{region}"
            short[r] = self.elasticity(spot, block, name, "short_run", label)
            long[r] = self.elasticity(spot, block, name, "long_run", label)
        return short, long

    def elasticity(
        self, where: FieldPath, spec: dict[str, Any], name: str, run: str, label: str
    ) -> float:
        """One sourced elasticity value, checked and listed as a figure."""
        spot = (*where, run)
        value = self.number(spot, self.get(spec, where, run, (int, float)), allow_inf=name == "eta")
        problem = check_elasticity_value(name, value)
        if problem:
            raise self.fail(spot, problem)
        self.figures.append(
            Figure(
                f"{name}.{run}.{label}",
                value,
                "elasticity",
                self.source((*where, "source"), spec.get("source")),
            )
        )
        return value

    def region(self, where: FieldPath, code: Any, *, wildcard: bool = False) -> list[int]:
        if wildcard and code == "*":
            return list(range(len(self.regions)))
        return [self.region_at(where, code)]

    def region_at(self, where: FieldPath, code: Any) -> int:
        found = self.position(self.regions, code)
        if found is None:
            raise self.fail(where, f"unknown region {code!r}; known: {', '.join(self.regions)}")
        return found

    def sector(self, where: FieldPath, code: Any) -> int:
        found = self.position(self.sectors, code)
        if found is None:
            raise self.fail(where, f"unknown sector {code!r}; known: {', '.join(self.sectors)}")
        return found

    def parse_flows(self, raw: list[Any], unit: str) -> FloatArray:
        shape = (len(self.sectors), len(self.regions), len(self.regions))
        flows = np.full(shape, np.nan)
        for k, row in enumerate(raw):
            where: FieldPath = ("flows", k)
            if not isinstance(row, list) or len(row) != 5:
                raise self.fail(where, "a flow row is [sector, exporter, importer, value, source]")
            s = self.sector((*where, 0), row[0])
            (i,) = self.region((*where, 1), row[1])
            (j,) = self.region((*where, 2), row[2])
            value = self.number((*where, 3), row[3])
            if value < 0:
                raise self.fail((*where, 3), "flows must be zero or positive")
            if not np.isnan(flows[s, i, j]):
                raise self.fail(where, f"flow {row[0]} {row[1]}->{row[2]} is listed twice")
            flows[s, i, j] = value
            self.figures.append(
                Figure(
                    f"flow.{row[0]}.{row[1]}.{row[2]}",
                    value,
                    unit,
                    self.source((*where, 4), row[4]),
                )
            )
        missing = np.argwhere(np.isnan(flows))
        if len(missing):
            s, i, j = missing[0]
            raise self.fail(
                ("flows",),
                f"{len(missing)} flows missing, e.g. [{self.sectors[s]}, "
                f"{self.regions[i]}, {self.regions[j]}]; list every one (0 for none)",
            )
        return flows

    def parse_flow_file(self, raw: dict[str, Any], unit: str) -> FloatArray:
        """Read ``flows: {file, layout, source}``: the flows in a CSV file beside the dataset."""
        where: FieldPath = ("flows",)
        for key in raw:
            if key not in ("file", "layout", "source"):
                error = self.doc.error(
                    (*where, key), "unknown field; allowed: file, layout, source", at_key=True
                )
                raise DatasetError(
                    error.message,
                    path=error.path,
                    line=error.line,
                    column=error.column,
                    field=error.field,
                )
        name = self.get(raw, where, "file", str)
        layout = self.get(raw, where, "layout", str)
        if layout not in FLOW_LAYOUTS:
            raise self.fail(
                (*where, "layout"),
                f"unknown flow layout '{layout}'; allowed: {', '.join(FLOW_LAYOUTS)}",
            )
        source = self.source((*where, "source"), self.get(raw, where, "source", str))
        path = Path(name)
        if not path.is_absolute():
            path = Path(self.doc.path).parent / path
        if not path.exists():
            raise self.fail((*where, "file"), f"flow file '{path}' does not exist")
        self.extra_files.append(path)
        flows = read_flow_matrix(path, self.sectors, self.regions)
        self.figures.append(
            Figure(
                f"flows.{len(self.sectors)}x{len(self.regions)}x{len(self.regions)} "
                f"(total, from {path.name})",
                float(flows.sum()),
                unit,
                source,
            )
        )
        return flows

    def parse_tariffs(self, raw: Any) -> FloatArray:
        shape = (len(self.sectors), len(self.regions), len(self.regions))
        tariffs = np.zeros(shape)
        if not isinstance(raw, list):
            raise self.fail(
                ("tariffs",), "expected a list of [sector, exporter, importer, rate, source]"
            )
        for k, row in enumerate(raw):
            where: FieldPath = ("tariffs", k)
            if not isinstance(row, list) or len(row) != 5:
                raise self.fail(where, "a tariff row is [sector, exporter, importer, rate, source]")
            s = self.sector((*where, 0), row[0])
            # a region or all of them ("*"): an index or a slice, no index arrays (a
            # GTAP-size dataset has thousands of rows)
            exporter = slice(None) if row[1] == "*" else self.region_at((*where, 1), row[1])
            importer = slice(None) if row[2] == "*" else self.region_at((*where, 2), row[2])
            rate = self.number((*where, 3), row[3])
            if rate < 0:
                raise self.fail((*where, 3), "tariff rates must be zero or positive")
            tariffs[s, exporter, importer] = rate
            self.figures.append(
                Figure(
                    f"tariff.{row[0]}.{row[1]}.{row[2]}",
                    rate,
                    "ad valorem",
                    self.source((*where, 4), row[4]),
                )
            )
        home = np.einsum("sii->si", tariffs)
        if np.any(home != 0):
            s, i = np.argwhere(home != 0)[0]
            raise self.fail(
                ("tariffs",),
                f"home-market tariff of {self.regions[i]} on {self.sectors[s]} "
                "must be 0; add a row resetting it",
            )
        return tariffs

    def parse_processing(self, raw: Any, flows: FloatArray, unit: str) -> Routes:
        """``processing: {elasticity: {value, source}, routes: [...]}`` (absent: no routes).

        A route's ``value`` (in the dataset's unit) or ``share`` (of the recorded origin ->
        processor flow) is the first leg; the processed leg, ``1 + margin`` times it, must
        fit in the recorded processor -> destination flow.
        """
        if raw is None:
            return Routes.empty()
        where: FieldPath = ("processing",)
        if not isinstance(raw, dict):
            raise self.fail(where, "expected a mapping with elasticity and routes")
        for key in raw:
            if key not in ("elasticity", "routes"):
                raise self.doc.error(
                    (*where, key), "unknown field; allowed: elasticity, routes", at_key=True
                )
        elasticity = self.sourced(
            (*where, "elasticity"),
            self.get(raw, where, "elasticity", dict),
            "processing.elasticity",
            "elasticity",
        )
        if not 1.0 < elasticity <= MAX_ELASTICITY:
            raise self.fail(
                (*where, "elasticity", "value"),
                f"the substitution between channels must be > 1 and <= {MAX_ELASTICITY:g}",
            )
        parsed = [
            self.parse_route((*where, "routes", n), entry, flows, unit)
            for n, entry in enumerate(self.get(raw, where, "routes", list))
        ]
        columns = list(zip(*parsed, strict=True)) if parsed else [()] * 6
        s, i, k, j = (np.array(c, dtype=np.intp) for c in columns[:4])
        quantity, margin = (np.array(c, dtype=float) for c in columns[4:])
        result = Routes(s, i, k, j, quantity, margin, elasticity)
        self.check_route_legs(result, flows)
        return result

    def parse_route(
        self, at: FieldPath, entry: Any, flows: FloatArray, unit: str
    ) -> tuple[int, int, int, int, float, float]:
        """One route: sector, origin, processor, destination, first leg and margin."""
        if not isinstance(entry, dict):
            raise self.fail(at, "expected a mapping with sector, origin, processor, ...")
        allowed = {"sector", "origin", "processor", "destination", "value", "share", "margin"}
        for key in entry:
            if key not in allowed:
                raise self.doc.error(
                    (*at, key), f"unknown field; allowed: {', '.join(sorted(allowed))}", at_key=True
                )
        s = self.sector((*at, "sector"), entry.get("sector"))
        i, k, j = (
            self.region((*at, key), entry.get(key))[0]
            for key in ("origin", "processor", "destination")
        )
        if len({i, k, j}) < 3:
            raise self.fail(at, "origin, processor and destination must be three regions")
        label = ".".join(["processing", self.sectors[s], *(self.regions[r] for r in (i, k, j))])
        if ("value" in entry) == ("share" in entry):
            raise self.fail(at, "give exactly one of 'value' or 'share'")
        key = "value" if "value" in entry else "share"
        amount = self.sourced(
            (*at, key),
            self.get(entry, at, key, dict),
            f"{label}.{key}",
            unit if key == "value" else "share of origin -> processor flow",
        )
        if amount < 0 or (key == "share" and amount > 1):
            raise self.fail((*at, key, "value"), f"a route's {key} must be >= 0 (a share <= 1)")
        margin = self.sourced(
            (*at, "margin"), self.get(entry, at, "margin", dict), f"{label}.margin", "share"
        )
        if margin < 0:
            raise self.fail((*at, "margin", "value"), "a processing margin must be >= 0")
        quantity = amount if key == "value" else amount * float(flows[s, i, k])
        return s, i, k, j, quantity, margin

    def check_route_legs(self, routes: Routes, flows: FloatArray) -> None:
        """Every leg must fit in the recorded flow it is part of."""
        left = model_flows(flows, routes)
        for n in range(len(routes)):
            s = routes.sector[n]
            for a, b, leg in [
                (routes.origin[n], routes.processor[n], "first"),
                (routes.processor[n], routes.destination[n], "processed"),
            ]:
                if left[s, a, b] < -1e-9 * max(flows[s, a, b], 1.0):
                    raise self.fail(
                        ("processing", "routes", n),
                        f"the routes' {leg} legs exceed the recorded "
                        f"{self.regions[a]} -> {self.regions[b]} flow ({flows[s, a, b]:g})",
                    )

    def parse_satellites(self, raw: Any) -> tuple[Satellite, ...]:
        satellites = []
        for k, entry in enumerate(raw):
            where: FieldPath = ("satellites", k)
            name = self.get(entry, where, "name", str)
            (r,) = self.region((*where, "region"), entry.get("region"))
            if "parts" in entry:
                specs = self.get(entry, where, "parts", list)
                if not specs:
                    raise self.fail((*where, "parts"), "a satellite needs at least one part")
                located = [((*where, "parts", m), spec) for m, spec in enumerate(specs)]
            else:
                located = [(where, entry)]
            parts = []
            for spot, spec in located:
                if not isinstance(spec, dict):
                    raise self.fail(spot, "expected a mapping with sector, output_share, ...")
                parts.append(self.parse_satellite_part(spot, name, spec, len(located) > 1))
            sectors = [part.sector for part in parts]
            if len(set(sectors)) < len(sectors):
                raise self.fail((*where, "parts"), "each part must follow a different sector")
            satellites.append(
                Satellite(name, str(entry.get("title", name)), self.regions[r], tuple(parts))
            )
        return tuple(satellites)

    def parse_satellite_part(
        self, where: FieldPath, name: str, entry: dict[str, Any], several: bool
    ) -> SatellitePart:
        sector = self.get(entry, where, "sector", str)
        self.sector((*where, "sector"), sector)
        # Figures of a satellite with several parts are named by sector, to stay distinct.
        item = f"satellite.{name}.{sector}" if several else f"satellite.{name}"
        share = self.sourced(
            (*where, "output_share"),
            self.get(entry, where, "output_share", dict),
            f"{item}.output_share",
            "share",
        )
        shares = {}
        for importer, spec in self.get(entry, where, "export_shares", dict).items():
            self.region((*where, "export_shares", importer), importer)
            shares[importer] = self.sourced(
                (*where, "export_shares", importer),
                spec,
                f"{item}.export_share.{importer}",
                "share",
            )
        for value, spot in [
            (share, "output_share"),
            *[(v, f"export_shares.{i}") for i, v in shares.items()],
        ]:
            if not 0 <= value <= 1:
                raise self.fail((*where, *spot.split(".")), "a share must be between 0 and 1")
        return SatellitePart(sector, share, shares)

    def parse_facts(self, raw: Any) -> dict[str, float]:
        facts: dict[str, float] = {}
        for k, entry in enumerate(raw):
            where: FieldPath = ("facts", k)
            name = self.get(entry, where, "name", str)
            value = self.sourced(where, entry, f"fact.{name}", str(entry.get("unit", "")))
            facts[name] = value
        return facts

    def parse_checks(self, raw: Any) -> tuple[Check, ...]:
        checks = []
        for k, entry in enumerate(raw):
            where: FieldPath = ("checks", k)
            kind = self.get(entry, where, "kind", str)
            if kind not in ("export_share", "exports_total"):
                raise self.fail(
                    (*where, "kind"),
                    f"unknown check kind '{kind}'; allowed: export_share, exports_total",
                )
            if "sectors" in entry:
                sectors = self.get(entry, where, "sectors", list)
                if not sectors or "sector" in entry:
                    raise self.fail(
                        (*where, "sectors"), "give one 'sector' or a non-empty list 'sectors'"
                    )
                for m, code in enumerate(sectors):
                    self.sector((*where, "sectors", m), code)
            else:
                sectors = [self.get(entry, where, "sector", str)]
                self.sector((*where, "sector"), sectors[0])
            exporter = self.get(entry, where, "exporter", str)
            self.region((*where, "exporter"), exporter)
            importers = entry.get("importers", [])
            if not isinstance(importers, list):
                raise self.fail((*where, "importers"), "expected a list of region codes")
            importers = tuple(importers)
            for m, code in enumerate(importers):
                self.region((*where, "importers", m), code)
            checks.append(
                Check(
                    name=self.get(entry, where, "name", str),
                    kind=kind,
                    sectors=tuple(str(code) for code in sectors),
                    exporter=exporter,
                    importers=importers,
                    expected=self.get(entry, where, "expected", float),
                    tolerance=self.get(entry, where, "tolerance", float),
                    source=self.source((*where, "source"), entry.get("source")),
                )
            )
        return tuple(checks)

    def check_consistency(self, dataset: Dataset) -> None:
        for k, check in enumerate(dataset.checks):
            total = sum(dataset.exports(s, check.exporter) for s in check.sectors)
            if check.kind == "export_share":
                part = sum(
                    dataset.exports(s, check.exporter, check.importers) for s in check.sectors
                )
                value = part / total if total > 0 else float("nan")
            else:
                value = total
            if not abs(value - check.expected) <= check.tolerance:
                raise self.fail(
                    ("checks", k),
                    f"check '{check.name}' fails: expected {check.expected:g} "
                    f"+- {check.tolerance:g}, the flows give {value:.6g}",
                )


# Published trade and supply elasticities lie well below 100; far above it, a price change
# of a few percent raised to the elasticity overflows double precision in the solver.
MAX_ELASTICITY = 100.0


def check_elasticity_value(name: str, value: float) -> str | None:
    """Return why ``value`` is not allowed for elasticity ``name``, or None if it is."""
    if name in ("sigma", "sigma_domestic", "sigma_import") and not value > 1:
        return f"{name} must be greater than 1 (a ban on a variety would otherwise be unbounded)"
    if name in ("eps", "eta") and not value > 0:
        return f"{name} must be positive"
    if value > MAX_ELASTICITY and not (name == "eta" and math.isinf(value)):
        fixed = " (or .inf for a fixed producer price)" if name == "eta" else ""
        return f"{name} must be at most {MAX_ELASTICITY:g}{fixed}"
    return None


def _fingerprint(path: Path, *more: Path) -> str:
    import hashlib

    digest = hashlib.sha256(path.read_bytes())
    for extra in more:
        digest.update(extra.read_bytes())
    return digest.hexdigest()[:16]
