"""Scenario files: YAML -> a validated, fully resolved :class:`Scenario`.

A scenario names a dataset, a quarterly horizon and the policies in force. ``extends``
inherits another scenario (relative to this file); a policy with the id of an inherited one
changes that policy's fields (so ``{id: seafood-ban, end: 2024-07-01}`` lifts an inherited
ban), and ``parameters`` and ``demand_growth`` are merged key by key. Every error names the
file, line, column and field. Format reference: ``docs/scenarios.md``.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Protocol

from sim._yaml import Document, FieldPath, load_yaml
from sim.dataset import ELASTICITY_KEYS, Dataset, check_elasticity_value, load_dataset
from sim.errors import InputError, InputErrors
from sim.policy import rent_holder
from sim.policytypes import (
    BY_NAME,
    COMMON_FIELDS,
    PE,
    Bounds,
    Field,
    common_keys,
    drawable_fields,
    policy_keys,
)
from sim.quarters import Quarter, parse_date, parse_quarter
from sim.rates import format_rate, parse_rate
from sim.scenario_schema import schema_errors
from sim.shipped import shipped_path
from sim.uncertainty import DISTRIBUTIONS, Distribution, distribution_problem

MAX_QUARTERS = 400
MAX_EXTENDS_DEPTH = 20

TOP_LEVEL_KEYS = (
    "name",
    "description",
    "extends",
    "dataset",
    "start",
    "end",
    "policies",
    "parameters",
    "demand_growth",
    "uncertainty",
    "model",
    "gravity",
)
COMMON_POLICY_KEYS = common_keys(PE)
POLICY_KEYS: dict[str, tuple[str, ...]] = policy_keys(PE)
POLICY_TYPES = tuple(POLICY_KEYS)
PARAMETER_ELASTICITIES = tuple(ELASTICITY_KEYS)
PARAMETER_KEYS = (*PARAMETER_ELASTICITIES, "half_life_quarters", "regions")


@dataclass(frozen=True)
class PolicySpec:
    """One policy of a scenario, resolved and validated.

    Attributes
    ----------
    id : str
    type : str
        One of :data:`POLICY_TYPES`.
    sectors, exporters, importers : tuple of str
        What it applies to (trade instruments never touch home-market sales).
    start : date
        First day in force.
    end : date or None
        First day no longer in force.
    phase_in : int
        Quarters over which its intensity ramps up linearly (0: at once).
    coverage : float
        Share of the flow's varieties a ban or export control removes.
    rate, increase : float or None
        A tariff's new ad valorem rate, or the points it adds to the baseline rate.
    tax_equivalent : float
        Licence cost of an export control, ad valorem on the delivered price.
    cost : float
        Ad valorem trade cost added by a ``trade_cost`` policy.
    change : float
        Proportional shift of demand or supply for a shock (``-0.05``: 5% less).
    share : float
        A quota's ceiling on each covered flow, as a share of its baseline quantity.
    volume : float or None
        A quota's ceiling on each covered flow as an annual quantity (baseline-price units,
        e.g. JPY bn at 2022 prices), instead of ``share``; or the quantity a ``purchase``
        buys of each listed exporter's output, at an annual rate while in force.
    spending : float or None
        What a ``purchase`` spends on each listed exporter's output, at an annual rate
        while in force (the dataset's unit at current prices), instead of ``volume``.
    rent : str
        Who earns an export control's licence cost or a binding quota's rent: ``importer``
        (licences auctioned or kept by the importing state, booked like a tariff),
        ``exporter`` (licences sold by the exporting state, or a voluntary export
        restraint, booked like an export tax) or ``none`` (a resource cost spent on
        compliance, queues and paperwork, like a trade cost; ``lost`` is the same). Empty:
        the type's default, :data:`sim.policy.DEFAULT_RENT`.
    """

    id: str
    type: str
    sectors: tuple[str, ...]
    exporters: tuple[str, ...]
    importers: tuple[str, ...]
    start: dt.date
    end: dt.date | None = None
    phase_in: int = 0
    coverage: float = 1.0
    rate: float | None = None
    increase: float | None = None
    tax_equivalent: float = 0.0
    cost: float = 0.0
    change: float = 0.0
    share: float = 1.0
    volume: float | None = None
    spending: float | None = None
    rent: str = ""
    description: str = ""
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain representation, with only the fields that apply to its type."""
        out: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "sector": list(self.sectors),
            "exporters": list(self.exporters),
            "importers": list(self.importers),
            "start": self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "phase_in": self.phase_in,
        }
        if self.type == "purchase":  # it has none: a government buys its own region's output
            del out["importers"]
        for key in POLICY_KEYS[self.type]:
            out[key] = getattr(self, key)
        if "rent" in out:
            out["rent"] = rent_holder(self)
        if self.description:
            out["description"] = self.description
        if self.source:
            out["source"] = self.source
        return out


NO_POLICY = "no-policy"


@dataclass(frozen=True)
class Comparison:
    """The run a scenario's results are measured against.

    Its policies are solved on the scenario's dataset and horizon with the scenario's
    parameters and trend demand, so that a difference is the policies' alone.

    Attributes
    ----------
    name : str
        The comparison scenario's name.
    fingerprint : str
        Its :meth:`Scenario.fingerprint`.
    policies : tuple of PolicySpec
    """

    name: str
    fingerprint: str
    policies: tuple[PolicySpec, ...]

    def to_dict(self) -> dict[str, Any]:
        """``name`` and ``fingerprint``, as ``run.json`` records them."""
        return {"name": self.name, "fingerprint": self.fingerprint}


@dataclass(frozen=True)
class Scenario:
    """A fully resolved scenario.

    Attributes
    ----------
    name, description : str
    path : Path
        The scenario file.
    files : tuple of Path
        The chain of files it was built from, most general first.
    dataset : Dataset
    start, end : Quarter
        First and last quarter of the horizon.
    policies : tuple of PolicySpec
    parameters : dict
        ``sector -> {sigma|sigma_domestic|sigma_import|eps|eta: {short_run, long_run},
        half_life_quarters, regions: {REGION: {...}}}`` overrides of the dataset's
        elasticities.
    demand_growth : dict
        ``region -> annual growth rate`` of demand in every sector (both paths).
    uncertainty : dict
        ``parameter key -> Distribution`` for Monte Carlo runs, in key order (see
        :mod:`sim.uncertainty`).
    comparison : Comparison or None
        What the results are measured against: by default the scenario it ``extends``;
        ``None`` is the no-policy path.
    """

    # the registered model that runs it (sim.models)
    registered_model: ClassVar[str] = "armington-pe"

    name: str
    description: str
    path: Path
    files: tuple[Path, ...]
    dataset: Dataset
    start: Quarter
    end: Quarter
    policies: tuple[PolicySpec, ...]
    parameters: dict[str, Any] = field(default_factory=dict)
    demand_growth: dict[str, float] = field(default_factory=dict)
    uncertainty: dict[str, Distribution] = field(default_factory=dict)
    comparison: Comparison | None = None

    @property
    def against(self) -> dict[str, Any]:
        """Name and fingerprint of the comparison run (``no-policy`` and ``None`` if none)."""
        if self.comparison is None:
            return {"name": NO_POLICY, "fingerprint": None}
        return self.comparison.to_dict()

    def against_run(self, other: Scenario | None) -> Scenario:
        """The scenario measured against ``other`` (``None``: the no-policy path).

        Raises
        ------
        InputError
            When ``other`` is built on another dataset.
        """
        if other is None:
            return replace(self, comparison=None)
        if other.dataset.fingerprint != self.dataset.fingerprint:
            raise InputError(
                f"cannot compare with '{other.name}': it uses dataset '{other.dataset.name}', "
                f"this scenario '{self.dataset.name}'",
                path=other.path,
            )
        comparison = Comparison(other.name, other.fingerprint(), other.policies)
        return replace(self, comparison=comparison)

    def to_dict(self) -> dict[str, Any]:
        """The resolved scenario as plain data (what ``run.json`` records)."""
        return {
            "name": self.name,
            "description": self.description,
            "dataset": self.dataset.name,
            "start": str(self.start),
            "end": str(self.end),
            "policies": [policy.to_dict() for policy in self.policies],
            "parameters": self.parameters,
            "demand_growth": self.demand_growth,
        } | (
            {
                "uncertainty": {
                    key: {"dist": d.dist, **dict(d.params)} for key, d in self.uncertainty.items()
                }
            }
            if self.uncertainty
            else {}
        )

    def with_values(self, values: dict[str, float]) -> Scenario:
        """The scenario with some parameters set (keys as in ``uncertainty``).

        Parameters
        ----------
        values : dict
            ``parameter key -> value``; keys are those :func:`load_scenario` accepted in
            the ``uncertainty`` block.
        """
        parameters = copy.deepcopy(self.parameters)
        growth = dict(self.demand_growth)
        changed: dict[str, dict[str, Any]] = {}
        for key, value in values.items():
            parts = key.split(".")
            if parts[0] == "policies":
                policy_id, name = key[len("policies.") :].rsplit(".", 1)
                changed.setdefault(policy_id, {})[name] = value
            elif parts[0] == "demand_growth":
                growth[parts[1]] = value
            else:
                block = parameters.setdefault(parts[0], {})
                for part in parts[1:-1]:
                    block = block.setdefault(part, {})
                block[parts[-1]] = value

        def drawn(policies: tuple[PolicySpec, ...]) -> tuple[PolicySpec, ...]:
            return tuple(
                replace(policy, **changed[policy.id]) if policy.id in changed else policy
                for policy in policies
            )

        # The comparison run takes the same draws (common random numbers): a policy it
        # shares with the scenario takes the same value.
        comparison = self.comparison
        if comparison is not None:
            comparison = replace(comparison, policies=drawn(comparison.policies))
        return replace(
            self,
            parameters=parameters,
            demand_growth=growth,
            policies=drawn(self.policies),
            comparison=comparison,
        )

    def fingerprint(self) -> str:
        """SHA-256 of the resolved scenario, its comparison run and its dataset file."""
        record = self.to_dict() | {"against": self.against}
        text = json.dumps(record, sort_keys=True) + self.dataset.fingerprint
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class _Located:
    """A value and where it was written."""

    value: Any
    doc: Document
    where: FieldPath

    def error(self, message: str, *, at_key: bool = False) -> InputError:
        return self.doc.error(self.where, message, at_key=at_key)


def _unknown_key(doc: Document, where: FieldPath, key: str, allowed: tuple[str, ...]) -> InputError:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return doc.error(
        (*where, key), f"unknown field '{key}'; {hint}allowed: {', '.join(allowed)}", at_key=True
    )


def _read_chain(path: Path) -> list[Document]:
    """The scenario file and the files it extends, most general first."""
    chain: list[Document] = []
    seen: list[Path] = []
    current = path
    while True:
        resolved = current.resolve()
        if resolved in seen:
            cycle = " -> ".join(p.name for p in [*seen, resolved])
            raise chain[-1].error(("extends",), f"the extends chain forms a cycle: {cycle}")
        if len(seen) >= MAX_EXTENDS_DEPTH:
            raise InputError(f"extends chain deeper than {MAX_EXTENDS_DEPTH}", path=current)
        seen.append(resolved)
        doc = load_yaml(current, what="scenario")
        if not isinstance(doc.data, dict):
            raise doc.error((), "a scenario must be a mapping with name, start, end, policies, ...")
        problems = schema_errors(doc)
        if len(problems) == 1:
            raise problems[0]
        if problems:
            raise InputErrors(problems)
        chain.append(doc)
        parent = doc.data.get("extends")
        if parent is None:
            break
        if not isinstance(parent, str) or not parent.strip():
            raise doc.error(("extends",), "extends must be the path of another scenario file")
        current = _parent_file(current, parent)
        if not current.exists():
            raise doc.error(
                ("extends",),
                f"'{parent}' is neither a file (paths are relative to this file) nor a "
                "shipped scenario (tradesim list)",
            )
    return chain[::-1]


def _parent_file(child: Path, parent: str) -> Path:
    """The file ``extends: parent`` names: relative to the child, else a shipped scenario."""
    current = child.parent / parent
    if not current.exists() and not current.suffix:
        current = current.with_suffix(".yaml")
    if current.exists():
        return current
    return shipped_path(parent) or current


def _merge(chain: list[Document]) -> dict[str, Any]:
    """Merge the chain into located values: later files override earlier ones."""
    merged: dict[str, Any] = {
        "policies": {},
        "parameters": {},
        "demand_growth": {},
        "uncertainty": {},
        "gravity": {},
    }
    merged["inherited_ids"] = set()
    for doc in chain:
        if doc is chain[-1]:
            merged["inherited_ids"] = set(merged["policies"])
        data = doc.data
        for key in ("dataset", "start", "end", "model"):
            if key in data:
                merged[key] = _Located(data[key], doc, (key,))
        for key in ("name", "description"):
            if key in data and doc is chain[-1]:
                merged[key] = _Located(data[key], doc, (key,))
        _merge_policies(doc, merged["policies"])
        for section in ("parameters", "demand_growth"):
            raw_section = data.get(section, {}) or {}
            if not isinstance(raw_section, dict):
                raise doc.error((section,), f"{section} must be a mapping")
            _merge_mapping(merged[section], raw_section, doc, (section,))
        _merge_mapping(merged["gravity"], data.get("gravity") or {}, doc, ("gravity",))
        uncertainty = data.get("uncertainty", {}) or {}
        if not isinstance(uncertainty, dict):
            raise doc.error(("uncertainty",), "uncertainty must be a mapping")
        # A distribution is replaced whole, never merged field by field with an inherited one.
        for key, value in uncertainty.items():
            merged["uncertainty"][key] = _Located(value, doc, ("uncertainty", key))
    return merged


def _merge_policies(doc: Document, merged: dict[str, dict[str, _Located]]) -> None:
    """Add one file's policies; an id already merged from a parent is changed field by field."""
    policies = doc.data.get("policies", []) or []
    if not isinstance(policies, list):
        raise doc.error(("policies",), "policies must be a list")
    ids_here: dict[str, FieldPath] = {}
    for k, raw in enumerate(policies):
        where: FieldPath = ("policies", k)
        if not isinstance(raw, dict):
            raise doc.error(where, "each policy must be a mapping with id, type, sector, ...")
        if "id" not in raw:
            raise doc.error(where, "missing required field 'id' (a name to refer to the policy by)")
        if not isinstance(raw["id"], str):
            raise doc.error((*where, "id"), "id must be a string")
        if raw["id"] in ids_here:
            line = doc.positions.get(ids_here[raw["id"]], ("?",))[0]
            raise doc.error(
                (*where, "id"),
                f"policy id '{raw['id']}' is already used at line {line} of this file; "
                "ids must differ (a scenario that extends this one may change it by id)",
            )
        ids_here[raw["id"]] = (*where, "id")
        entry = merged.setdefault(raw["id"], {})
        for key, value in raw.items():
            entry[key] = _Located(value, doc, (*where, key))


def _merge_mapping(
    target: dict[str, Any], raw: dict[str, Any], doc: Document, where: FieldPath
) -> None:
    for key, value in raw.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_mapping(target[key], value, doc, (*where, key))
        elif isinstance(value, dict) and value:
            target[key] = {}
            _merge_mapping(target[key], value, doc, (*where, key))
        else:
            target[key] = _Located(value, doc, (*where, key))


def load_scenario(path: str | Path) -> Scenario:
    """Read, resolve and validate a partial-equilibrium scenario file.

    Parameters
    ----------
    path : str or Path
        The scenario YAML file, or the name of a shipped scenario (a path that exists
        wins).

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        With file, line, column and field of the first problem found, or when the file is
        a ``model: gravity`` scenario (see :func:`sim.scenarios.load_any_scenario`).
    """
    path = Path(path)
    chain = read_chain(path)
    merged = _merge(chain)
    if model_name(chain, merged) is not None:
        raise InputError(
            "this is a structural-gravity scenario (model: gravity); this command "
            "works on partial-equilibrium scenarios only",
            path=path,
        )
    return resolve_scenario(path, chain, merged)


def read_chain(path: Path) -> list[Document]:
    """The scenario file and the files it extends, the file itself last."""
    return _read_chain(path)


def merge_chain(chain: list[Document]) -> dict[str, Any]:
    """The chain's fields merged, each value located in the file that set it."""
    return _merge(chain)


def model_name(chain: list[Document], merged: dict[str, Any]) -> str | None:
    """The scenario's ``model:`` (``gravity``), or None for the partial-equilibrium one.

    Raises
    ------
    InputError
        When a ``gravity`` block appears without ``model: gravity``.
    """
    model = merged.get("model")
    if model is None or model.value != "gravity":
        for doc in chain:
            if doc.data.get("gravity"):
                raise doc.error(
                    ("gravity",), "the gravity block needs 'model: gravity'", at_key=True
                )
        return None
    return "gravity"


# A result folder is named after its scenario and staged beside itself under a longer
# name; file systems allow 255 bytes per name, so a scenario name keeps 55 in reserve.
MAX_NAME_BYTES = 200


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a result folder, or None."""
    if not name or any(c in name for c in "/\\\0") or name.startswith("."):
        return "name must be a non-empty file-name-safe string"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"name is {len(name.encode('utf-8'))} bytes long; the limit is {MAX_NAME_BYTES}"
    return None


def scenario_name(path: Path, chain: list[Document], merged: dict[str, Any]) -> str:
    """The scenario's name (the file's stem by default), checked to be file-name safe."""
    name = _text(merged.get("name"), default=path.stem)
    problem = name_problem(name)
    if problem:
        raise chain[-1].error(("name",), problem)
    return name


def resolve_scenario(path: Path, chain: list[Document], merged: dict[str, Any]) -> Scenario:
    """A partial-equilibrium scenario from its merged chain of files.

    Raises
    ------
    InputError, InputErrors
        With file, line, column and field of every problem found.
    """
    leaf = chain[-1]
    dataset_spec = merged.get("dataset")
    if dataset_spec is None:
        dataset = load_dataset("japan-china-2022")
    else:
        if not isinstance(dataset_spec.value, str):
            raise dataset_spec.error("dataset must be a packaged dataset name or a file path")
        try:
            dataset = load_dataset(dataset_spec.value, relative_to=dataset_spec.doc.path.parent)
        except InputError as exc:
            if exc.path is None:
                raise dataset_spec.error(exc.message) from None
            raise
    errors: list[InputError] = []

    def collect(check: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return check(*args, **kwargs)
        except InputErrors as problems:
            errors.extend(problems.errors)
        except InputError as problem:
            errors.append(problem)
        return None

    name = _text(merged.get("name"), default=path.stem)
    problem = name_problem(name)
    if problem:
        errors.append(leaf.error(("name",), problem))
    start, end = collect(_horizon, merged, leaf) or (None, None)
    inherited = frozenset(merged["inherited_ids"])
    policies = tuple(
        collect(_policy, policy_id, fields, dataset, inherited, len(chain) > 1)
        for policy_id, fields in merged["policies"].items()
    )
    parameters = collect(_parameters, merged["parameters"], dataset)
    growth = collect(_growth, merged["demand_growth"], leaf, dataset)
    uncertainty = {}
    if not errors:
        scope = _ParameterScope(dataset, {p.id: p for p in policies})
        for key in sorted(merged["uncertainty"]):
            uncertainty[key] = collect(_distribution, key, merged["uncertainty"][key], scope)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InputErrors(errors)
    assert start is not None and end is not None  # every failure above was collected
    scenario = Scenario(
        name=name,
        description=_text(merged.get("description"), default=""),
        path=path,
        files=tuple(doc.path for doc in chain),
        dataset=dataset,
        start=start,
        end=end,
        policies=policies,
        parameters=parameters,
        demand_growth=growth,
        uncertainty=uncertainty,
    )
    return scenario if len(chain) == 1 else _against_parent(scenario, chain)


def _against_parent(scenario: Scenario, chain: list[Document]) -> Scenario:
    """The scenario measured against the one it extends, resolved on its own."""
    parent = load_scenario(chain[-2].path)
    if parent.dataset.fingerprint != scenario.dataset.fingerprint:
        raise chain[-1].error(
            ("extends",),
            f"'{parent.name}' uses dataset '{parent.dataset.name}' and this scenario "
            f"'{scenario.dataset.name}': results are measured against the scenario extended, "
            "so both need the same dataset",
        )
    return scenario.against_run(parent)


def _horizon(merged: dict[str, Any], leaf: Document) -> tuple[Quarter, Quarter]:
    """First and last quarter, checked for order and length."""
    errors: list[InputError] = []
    for key in ("start", "end"):
        if key not in merged:
            errors.append(
                leaf.error((), f"missing required field '{key}' (a quarter such as 2023Q1)")
            )
    if errors:
        raise InputErrors(errors)
    start, end = _quarter(merged["start"]), _quarter(merged["end"])
    if end < start:
        raise merged["end"].error(f"end {end} is before start {start}")
    if end - start + 1 > MAX_QUARTERS:
        raise merged["end"].error(
            f"horizon of {end - start + 1} quarters; the limit is {MAX_QUARTERS}"
        )
    return start, end


def _growth(raw: dict[str, Any], leaf: Document, dataset: Dataset) -> dict[str, float]:
    """Annual trend growth of demand per region."""
    growth = {}
    for region, located in raw.items():
        if isinstance(located, dict):
            raise leaf.error(
                ("demand_growth", region), "expected an annual growth rate such as 0.02"
            )
        _region(located, region, dataset, key=True)
        growth[region] = _rate(located, low=-0.99, high=10.0)
    return growth


def _text(located: _Located | None, *, default: str) -> str:
    if located is None:
        return default
    if not isinstance(located.value, str):
        raise located.error("expected text")
    return located.value.strip()


def _quarter(located: _Located) -> Quarter:
    try:
        return parse_quarter(located.value)
    except ValueError as exc:
        raise located.error(str(exc)) from None


def _date(located: _Located) -> dt.date:
    try:
        return parse_date(located.value)
    except ValueError as exc:
        raise located.error(str(exc)) from None


def _outside(located: _Located, shown: str, bounds: Bounds, *, percent: bool) -> None:
    """Raise at ``located`` when its number is outside ``bounds``."""
    number = parse_rate(located.value) if percent else float(located.value)
    side = bounds.problem(number)
    if side is None:
        return
    below = side == "below"
    bound = bounds.low if below else bounds.high
    assert bound is not None
    shown_bound = f"{bound:g} ({format_rate(bound)})" if percent else f"{bound:g}"
    if bounds.low_open if below else bounds.high_open:
        raise located.error(f"{shown} must be {'above' if below else 'below'} {shown_bound}")
    limit = "minimum" if below else "maximum"
    raise located.error(f"{shown} is {side} the allowed {limit} {shown_bound}")


def _number(
    located: _Located,
    *,
    low: float | None = None,
    high: float | None = None,
    bounds: Bounds | None = None,
) -> float:
    value = located.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise located.error(f"expected a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise located.error(f"expected a finite number, got {value}")
    _outside(located, f"{number:g}", bounds or Bounds(low, high), percent=False)
    return number


def _rate(
    located: _Located,
    *,
    low: float | None = None,
    high: float | None = None,
    bounds: Bounds | None = None,
) -> float:
    """A rate field (:data:`sim.rates.RATE_FIELDS`): a fraction or a percent string."""
    try:
        number = parse_rate(located.value)
    except ValueError as exc:
        raise located.error(str(exc)) from None
    shown = f"'{located.value}'" if isinstance(located.value, str) else f"{number:g}"
    _outside(located, shown, bounds or Bounds(low, high), percent=True)
    return number


def _region(located: _Located, code: Any, dataset: Dataset, *, key: bool = False) -> str:
    if code not in dataset.regions:
        close = difflib.get_close_matches(str(code), dataset.regions, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise located.error(
            f"unknown region {code!r}; {hint}known: {', '.join(dataset.regions)}", at_key=key
        )
    return str(code)


def _regions(located: _Located, dataset: Dataset) -> tuple[str, ...]:
    value = located.value
    if value == "all":
        return dataset.regions
    if isinstance(value, str):
        return (_region(located, value, dataset),)
    if isinstance(value, dict) and set(value) == {"all_except"}:
        excluded = value["all_except"]
        excluded = [excluded] if isinstance(excluded, str) else excluded
        if not isinstance(excluded, list):
            raise located.error("all_except takes a list of regions")
        for code in excluded:
            _region(located, code, dataset)
        return tuple(r for r in dataset.regions if r not in excluded)
    if isinstance(value, list) and value:
        codes = tuple(
            _region(_Located(code, located.doc, (*located.where, k)), code, dataset)
            for k, code in enumerate(value)
        )
        return tuple(r for r in dataset.regions if r in codes)
    raise located.error("expected a region, a list of regions, 'all' or {all_except: [...]}")


def _sectors(located: _Located, dataset: Dataset) -> tuple[str, ...]:
    value = located.value
    items = dataset.sectors if value == "all" else ([value] if isinstance(value, str) else value)
    if not isinstance(items, list | tuple) or not items:
        raise located.error("expected a sector, a list of sectors or 'all'")
    for code in items:
        if code not in dataset.sectors:
            close = difflib.get_close_matches(str(code), dataset.sectors, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise located.error(
                f"unknown sector {code!r}; {hint}known: {', '.join(dataset.sectors)}"
            )
    return tuple(s for s in dataset.sectors if s in items)


def _policy(
    policy_id: str,
    fields: dict[str, _Located],
    dataset: Dataset,
    inherited: frozenset[str] = frozenset(),
    extends: bool = False,
) -> PolicySpec:
    first = next(iter(fields.values()))
    if "type" not in fields and extends and policy_id not in inherited:
        close = difflib.get_close_matches(policy_id, sorted(inherited), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        known = ", ".join(sorted(inherited)) or "none"
        raise fields["id"].error(
            f"unknown policy id '{policy_id}': no extended scenario defines it; {hint}"
            f"inherited ids: {known} (a new policy needs a type)"
        )
    if "type" not in fields:
        raise first.doc.error(
            first.where[:-1],
            f"policy '{policy_id}': missing required field 'type'; "
            f"allowed: {', '.join(POLICY_TYPES)}",
        )
    kind = fields["type"].value
    if kind not in POLICY_KEYS:
        close = difflib.get_close_matches(str(kind), POLICY_TYPES, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise fields["type"].error(
            f"unknown policy type {kind!r}; {hint}allowed: {', '.join(POLICY_TYPES)}"
        )
    allowed = (*COMMON_POLICY_KEYS, *POLICY_KEYS[kind])
    for key, located in fields.items():
        if key not in allowed:
            raise _unknown_key(located.doc, located.where[:-1], key, allowed)
    needs_exporters = BY_NAME[kind].exporters
    needs_importers = BY_NAME[kind].importers
    errors: list[InputError] = []
    for key, needed in (
        ("sector", True),
        ("start", True),
        ("exporters", needs_exporters),
        ("importers", needs_importers),
    ):
        if needed and key not in fields:
            errors.append(
                first.doc.error(
                    first.where[:-1], f"policy '{policy_id}': missing required field '{key}'"
                )
            )
        if not needed and key in fields:
            errors.append(fields[key].error(f"a {kind} does not take {key}", at_key=True))
    if errors:
        raise InputErrors(errors)

    def checked(check: Any, *args: Any) -> Any:
        try:
            return check(*args)
        except InputError as problem:
            errors.append(problem)
            return None

    start = checked(_date, fields["start"])
    end = None
    if fields.get("end") is not None and fields["end"].value is not None:
        end = checked(_date, fields["end"])
    if start is not None and end is not None and end <= start:
        errors.append(fields["end"].error(f"end {end} is not after start {start}"))
    phase_in = checked(_phase_in, fields["phase_in"]) if "phase_in" in fields else 0
    values = checked(policy_values, kind, fields)
    sectors = checked(_sectors, fields["sector"], dataset)
    exporters = (
        checked(_regions, fields["exporters"], dataset) if needs_exporters else dataset.regions
    )
    importers = (
        checked(_regions, fields["importers"], dataset) if needs_importers else dataset.regions
    )
    if errors:
        raise InputErrors(errors) if len(errors) > 1 else errors[0]
    return PolicySpec(
        id=policy_id,
        type=kind,
        sectors=sectors,
        exporters=exporters,
        importers=importers,
        start=start,
        end=end,
        phase_in=phase_in,
        description=_text(fields.get("description"), default=""),
        source=_text(fields.get("source"), default=""),
        **values,
    )


def _phase_in(located: _Located) -> int:
    declared = next(f for f in COMMON_FIELDS if f.name == "phase_in")
    value = located.value
    if isinstance(value, bool) or not isinstance(value, int):
        raise located.error(
            f"phase_in is a whole number of {declared.unit} ({declared.bounds.text()})"
        )
    _number(located, bounds=declared.bounds)
    return value


def field_value(declared: Field, located: _Located, model: str = PE) -> Any:
    """One instrument field of a policy, read and checked against its declaration."""
    bounds = declared.bounds_for(model)
    if declared.kind == "rate":
        return _rate(located, bounds=bounds)
    if declared.kind == "number":
        return _number(located, bounds=bounds)
    if declared.kind == "choice":
        value = located.value
        if value not in declared.choices and value not in dict(declared.aliases):
            raise located.error(f"unknown value {value!r}; allowed: {', '.join(declared.choices)}")
        return declared.canonical(value)
    return _text(located, default="")


def policy_values(kind: str, fields: dict[str, _Located], model: str = PE) -> dict[str, Any]:
    """The instrument fields of a policy of type ``kind``, checked against the declaration.

    Raises
    ------
    InputError
        At the field (or the policy's ``type``) when a one-of group is not given exactly
        once, a required field is missing or a value is outside its range.
    """
    declared = BY_NAME[kind]
    for members in declared.groups().values():
        given = [f.name for f in members if f.name in fields]
        if len(given) != 1:
            where = fields[given[1]] if len(given) == 2 else fields["type"]
            wanted = " or ".join(f"'{f.name}' ({f.doc})" for f in members)
            raise where.error(f"a {kind} needs exactly one of {wanted}")
    values: dict[str, Any] = {}
    for f in declared.fields:
        if f.name in fields:
            values[f.name] = field_value(f, fields[f.name], model)
        elif f.required:
            raise fields["type"].error(f"a {kind} needs '{f.name}' ({f.doc})")
    return values


def _parameters(raw: dict[str, Any], dataset: Dataset) -> dict[str, Any]:
    """Validate elasticity overrides; returns plain nested dicts."""
    out: dict[str, Any] = {}
    for sector, spec in raw.items():
        prefix: FieldPath = ("parameters", sector)
        if isinstance(spec, _Located):
            what = "is empty" if spec.value == {} else "is not a mapping"
            raise spec.error(
                f"{what}; expected overrides of {', '.join(PARAMETER_ELASTICITIES)}, "
                "half_life_quarters or regions"
            )
        if sector not in dataset.sectors:
            close = difflib.get_close_matches(sector, dataset.sectors, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise _first_located(spec).doc.error(
                prefix,
                f"unknown sector '{sector}'; {hint}known: {', '.join(dataset.sectors)}",
                at_key=True,
            )
        out[sector] = _elasticity_block(spec, dataset, prefix, PARAMETER_KEYS)
    return out


def _first_located(spec: dict[str, Any]) -> _Located:
    for value in spec.values():
        if isinstance(value, _Located):
            return value
        if isinstance(value, dict) and value:
            return _first_located(value)
    raise AssertionError("an empty mapping has no position")


def _elasticity_block(
    spec: dict[str, Any], dataset: Dataset, prefix: FieldPath, keys: tuple[str, ...]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in spec.items():
        located = value if isinstance(value, _Located) else _first_located(value)
        if key not in keys:
            raise _unknown_key(located.doc, prefix, key, keys)
        if key == "half_life_quarters":
            if not isinstance(value, _Located):
                raise located.error("half_life_quarters is a number of quarters")
            out[key] = _number(value, low=1e-6, high=1000.0)
        elif key == "regions":
            if isinstance(value, _Located):
                raise value.error("regions maps region codes to elasticity overrides")
            out[key] = {}
            for region, block in value.items():
                inner = block if isinstance(block, _Located) else _first_located(block)
                _region(inner, region, dataset)
                if isinstance(block, _Located):
                    raise block.error(f"expected a mapping of {', '.join(PARAMETER_ELASTICITIES)}")
                out[key][region] = _elasticity_block(
                    block, dataset, (*prefix, key, region), PARAMETER_ELASTICITIES
                )
        else:
            out[key] = _short_long(key, value, (*prefix, key))
    return out


def _short_long(name: str, value: Any, prefix: FieldPath) -> dict[str, float]:
    if isinstance(value, _Located):
        raise value.error("expected {short_run: ..., long_run: ...}")
    out: dict[str, float] = {}
    for run, located in value.items():
        inner = located if isinstance(located, _Located) else _first_located(located)
        if run not in ("short_run", "long_run") or not isinstance(located, _Located):
            raise _unknown_key(inner.doc, prefix, run, ("short_run", "long_run"))
        if name == "eta" and located.value == math.inf:
            number = math.inf
        else:
            number = _number(located)
        problem = check_elasticity_value(name, number)
        if problem:
            raise located.error(problem)
        out[run] = number
    return out


_NAMES = "|".join(ELASTICITY_KEYS)
PARAMETER_KEY_FORMS = (
    f"SECTOR.{_NAMES}.short_run|long_run, SECTOR.half_life_quarters, "
    f"SECTOR.regions.REGION.{_NAMES}.short_run|long_run, policies.ID.FIELD "
    "or demand_growth.REGION"
)
_ELASTICITY_RANGES = {"sigma": (1.0, math.inf, True), "eps": (0.0, math.inf, True)}
_ELASTICITY_RANGES["eta"] = _ELASTICITY_RANGES["eps"]
_ELASTICITY_RANGES["sigma_domestic"] = _ELASTICITY_RANGES["sigma"]
_ELASTICITY_RANGES["sigma_import"] = _ELASTICITY_RANGES["sigma"]


def drawable_range(policy: Any, name: str, model: str) -> tuple[float, float, bool] | str:
    """The range ``uncertainty`` may draw field ``name`` of a resolved policy from.

    Returns
    -------
    (low, high, low excluded), or str
        Its declared range under ``model``, or why the policy has no such drawable field.
    """
    declared = BY_NAME[policy.type]
    values = {key: getattr(policy, key) for key in declared.keys}
    drawable = drawable_fields(declared, values)
    if name not in drawable:
        return (
            f"policy '{policy.id}' ({policy.type}) has no drawable field '{name}'; "
            f"drawable: {', '.join(drawable)}"
        )
    return declared.field(name).bounds_for(model).as_range()


class _Scope(Protocol):
    """What an ``uncertainty`` key may refer to: its allowed range, or why it names none."""

    def range_of(self, key: str) -> tuple[float, float, bool] | str:
        """Allowed (low, high, low excluded), or an error message."""
        ...


@dataclass(frozen=True)
class _ParameterScope:
    """What the keys of an ``uncertainty`` block may refer to."""

    dataset: Dataset
    policies: dict[str, PolicySpec]

    def range_of(self, key: str) -> tuple[float, float, bool] | str:
        """The allowed range of a parameter, or why the key names none."""
        parts = key.split(".")
        if parts[0] == "policies" and len(parts) >= 3:
            policy_id, name = key[len("policies.") :].rsplit(".", 1)
            if policy_id not in self.policies:
                known = ", ".join(self.policies) or "none"
                return f"unknown policy id '{policy_id}'; policies: {known}"
            return drawable_range(self.policies[policy_id], name, PE)
        if parts[0] == "demand_growth" and len(parts) == 2:
            if parts[1] not in self.dataset.regions:
                return f"unknown region '{parts[1]}'; known: {', '.join(self.dataset.regions)}"
            return (-0.99, 10.0, False)
        if parts[0] not in self.dataset.sectors:
            close = difflib.get_close_matches(parts[0], self.dataset.sectors, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            return f"unknown parameter '{key}'; {hint}expected {PARAMETER_KEY_FORMS}"
        rest = parts[1:]
        if rest == ["half_life_quarters"]:
            return (0.0, 1000.0, True)
        if len(rest) == 4 and rest[0] == "regions":
            if rest[1] not in self.dataset.regions:
                return f"unknown region '{rest[1]}'; known: {', '.join(self.dataset.regions)}"
            rest = rest[2:]
        if (
            len(rest) == 2
            and rest[0] in PARAMETER_ELASTICITIES
            and rest[1] in ("short_run", "long_run")
        ):
            return _ELASTICITY_RANGES[rest[0]]
        return f"unknown parameter '{key}'; expected {PARAMETER_KEY_FORMS}"


def _distribution(key: str, located: _Located, scope: _Scope) -> Distribution:
    """Validate one entry of the ``uncertainty`` block."""
    allowed = scope.range_of(key)
    if isinstance(allowed, str):
        raise located.error(allowed, at_key=True)
    spec = located.value
    if not isinstance(spec, dict) or "dist" not in spec:
        raise located.error("expected a distribution such as {dist: uniform, low: 2, high: 4}")
    dist = spec["dist"]
    required, optional = DISTRIBUTIONS[dist]

    def where(name: str) -> FieldPath:
        return (*located.where, name)

    for name in spec:
        if name != "dist" and name not in (*required, *optional):
            takes = ", ".join((*required, *optional))
            raise located.doc.error(
                where(name), f"a {dist} distribution takes {takes}, not '{name}'", at_key=True
            )
    missing = [name for name in required if name not in spec]
    if missing:
        raise located.error(f"a {dist} distribution needs {', '.join(required)}")
    params = {name: float(spec[name]) for name in (*required, *optional) if name in spec}
    for name, value in params.items():
        if not math.isfinite(value):
            raise located.doc.error(where(name), f"{name} must be a finite number, not {value}")
    problem = distribution_problem(dist, params)
    if problem:
        raise located.error(problem)
    distribution = Distribution(dist, tuple(params.items()))
    low, high = distribution.support
    lowest, highest, open_low = allowed
    touches = open_low and low == lowest and distribution.dist != "lognormal"
    if low < lowest or touches or high > highest:
        bound = f"above {lowest:g}" if open_low else f"at least {lowest:g}"
        cap = "" if math.isinf(highest) else f" and at most {highest:g}"
        hint = " (give low and high to truncate it)" if dist == "normal" else ""
        raise located.error(
            f"values must be {bound}{cap}, but this {dist} distribution can give "
            f"values from {low:g} to {high:g}{hint}"
        )
    return distribution
