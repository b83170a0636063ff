"""Every policy type of the scenario language, declared once.

A :class:`PolicyType` lists its :class:`Field` declarations, its one-line docs and the
models that accept it. Everything else that spells out a policy is generated from
:data:`POLICY_TYPES` and :data:`COMMON_FIELDS`: the policy part of the JSON Schema
(:mod:`sim.scenario_schema`), the keys and bounds the scenario readers check
(:mod:`sim.scenario`, :mod:`sim.gravity.scenario`), which numbers ``uncertainty`` may
draw, the default holder of a rent (:mod:`sim.policy`), the comments of the starter
scenario (:mod:`sim.starter`) and the policy tables of ``docs/scenarios.md``, rewritten by
``python -m sim.policytypes --write-docs``.

This module imports nothing from tradesim: the core reads it as plain records.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PE = "armington-pe"
GRAVITY = "gravity"
MODELS = (PE, GRAVITY)


@dataclass(frozen=True)
class Bounds:
    """The allowed range of a number; None is unbounded on that side.

    Attributes
    ----------
    low, high : float or None
    low_open, high_open : bool
        Whether the bound itself is excluded.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def problem(self, number: float) -> str | None:
        """``below`` or ``above`` when ``number`` is outside, else None."""
        if self.low is not None and (number < self.low or (self.low_open and number == self.low)):
            return "below"
        if self.high is not None and (
            number > self.high or (self.high_open and number == self.high)
        ):
            return "above"
        return None

    def as_range(self) -> tuple[float, float, bool]:
        """(low, high, low excluded), the form ``uncertainty`` checks distributions with."""
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        return (low, high, self.low_open)

    def text(self, *, percent: bool = False) -> str:
        """The range in words: ``0 to 1``, ``above 1``, ``at least 0``."""

        def shown(x: float) -> str:
            return f"{x:g} ({x * 100:g}%)" if percent else f"{x:g}"

        if self.low is not None and self.high is not None and not (self.low_open or self.high_open):
            return f"{shown(self.low)} to {shown(self.high)}"
        parts = []
        if self.low is not None:
            parts.append(f"{'above' if self.low_open else 'at least'} {shown(self.low)}")
        if self.high is not None:
            parts.append(f"{'below' if self.high_open else 'at most'} {shown(self.high)}")
        return " and ".join(parts) or "any number"


@dataclass(frozen=True)
class Field:
    """One field of a policy.

    Attributes
    ----------
    name : str
    kind : str
        ``rate`` (a fraction or a percent string, :mod:`sim.rates`), ``number``,
        ``integer``, ``text``, ``choice``, ``date``, ``names`` (sectors) or ``regions``.
    doc : str
        What it means, in a few words.
    unit : str
        ``share``, ``ad valorem``, ``quarters``, ``JPY bn a year``...; empty for text.
    bounds : Bounds
        Allowed range of a number.
    model_bounds : tuple of (model, Bounds)
        A different range under one model.
    default : object
        The value when left out; None when the field has no default.
    required : bool
        Whether every policy of its type must give it.
    one_of : str
        Name of a group of fields of which a policy gives exactly one.
    drawable : bool
        Whether ``uncertainty`` may draw it (``policies.ID.FIELD``).
    choices : tuple of str
        The values a ``choice`` takes.
    aliases : tuple of (str, str)
        Older spellings of choices, and what each means.
    nullable : bool
        Whether ``null`` is accepted (as "not set").
    example : object
        A valid value, used in messages, the starter file and tests.
    models : tuple of str
        The models that accept the field (common fields only; a type's own fields go with
        the type).
    """

    name: str
    kind: str
    doc: str
    unit: str = ""
    bounds: Bounds = Bounds()
    model_bounds: tuple[tuple[str, Bounds], ...] = ()
    default: Any = None
    required: bool = False
    one_of: str = ""
    drawable: bool = False
    choices: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()
    nullable: bool = False
    example: Any = None
    models: tuple[str, ...] = MODELS

    def bounds_for(self, model: str) -> Bounds:
        """The field's range under ``model``."""
        return dict(self.model_bounds).get(model, self.bounds)

    def canonical(self, value: str) -> str:
        """A choice with its older spelling replaced."""
        return dict(self.aliases).get(value, value)


@dataclass(frozen=True)
class PolicyType:
    """One policy type.

    Attributes
    ----------
    name : str
    doc : str
        Its effect, in a sentence.
    fields : tuple of Field
        Its own fields, besides :data:`COMMON_FIELDS`.
    models : tuple of str
        The models that accept it.
    exporters, importers : bool
        Whether it takes (and needs) ``exporters`` and ``importers``; a demand shock
        shifts importers' demand only, a supply shock or a purchase exporters' output.
    """

    name: str
    doc: str
    fields: tuple[Field, ...]
    models: tuple[str, ...] = MODELS
    exporters: bool = True
    importers: bool = True

    def field(self, name: str) -> Field:
        """The field called ``name``."""
        return next(f for f in self.fields if f.name == name)

    @property
    def keys(self) -> tuple[str, ...]:
        """Names of its own fields."""
        return tuple(f.name for f in self.fields)

    def groups(self) -> dict[str, tuple[Field, ...]]:
        """Its one-of groups: name -> the fields of which exactly one is given."""
        out: dict[str, tuple[Field, ...]] = {}
        for f in self.fields:
            if f.one_of:
                out[f.one_of] = (*out.get(f.one_of, ()), f)
        return out


_SHARE_0_1 = Bounds(0.0, 1.0)
_RATE = Bounds(0.0, 10.0)
# Above a 1000% rate or cost a few percent of any flow's value stays; no published
# measure comes near it, so a larger figure is far more often a typing mistake.
_RATE_CHANGE = Bounds(-10.0, 10.0)
# A cost or a shock may not take away more than 90% (99% for a shift of demand or supply):
# 1 + cost and 1 + change must stay positive for prices and quantities to exist.
_COST = Bounds(-0.9, 10.0)
_SHIFT = Bounds(-0.99, 10.0)
# An annual quantity or sum above 10^12 of the dataset's unit (JPY bn) exceeds world GDP.
_AMOUNT = Bounds(0.0, 1e12)

_RENT_CHOICES = ("importer", "exporter", "none")
# ``lost`` was the first spelling of a quota rent that nobody earns.
_RENT_ALIASES = (("lost", "none"),)


def _coverage(doc: str) -> Field:
    return Field(
        "coverage",
        "rate",
        doc,
        unit="share",
        bounds=_SHARE_0_1,
        default=1.0,
        drawable=True,
        example=0.5,
    )


def _rent(default: str) -> Field:
    return Field(
        "rent",
        "choice",
        "who earns the rent",
        default=default,
        choices=_RENT_CHOICES,
        aliases=_RENT_ALIASES,
        example="exporter",
    )


def _change(doc: str) -> Field:
    return Field(
        "change",
        "rate",
        doc,
        unit="share",
        bounds=_SHIFT,
        required=True,
        drawable=True,
        example=-0.05,
    )


COMMON_FIELDS: tuple[Field, ...] = (
    Field("id", "text", "a name to refer to the policy by", required=True, example="p"),
    Field("type", "choice", "the policy type (below)", required=True, example="ban"),
    Field("description", "text", "what it is", default=""),
    Field("source", "text", "where its figures come from", default=""),
    Field("sector", "names", "a sector, a list of sectors, or `all`", models=(PE,)),
    Field("exporters", "regions", "a region, a list, `all`, or `{all_except: [..]}`"),
    Field("importers", "regions", "the same, for the importing regions"),
    Field(
        "start",
        "date",
        "first day in force: `2023-08-24` or a quarter (its first day)",
        required=True,
        models=(PE,),
    ),
    Field(
        "end",
        "date",
        "optional first day no longer in force (after `start`)",
        nullable=True,
        models=(PE,),
    ),
    Field(
        "phase_in",
        "integer",
        "optional number of quarters over which the policy ramps up linearly",
        unit="quarters",
        bounds=Bounds(0.0, None),
        default=0,
        example=2,
        models=(PE,),
    ),
)

POLICY_TYPES: tuple[PolicyType, ...] = (
    PolicyType(
        "ban",
        "removes that share of each covered flow's varieties",
        (_coverage("share of each covered flow's varieties removed"),),
    ),
    PolicyType(
        "tariff",
        "changes the importer's ad valorem tariff (under the gravity model, which has no "
        "baseline tariffs, a cost of `1 + rate` whose revenue is not rebated)",
        (
            Field(
                "rate",
                "rate",
                "new rate",
                unit="ad valorem",
                bounds=_RATE,
                one_of="amount",
                drawable=True,
                example=0.1,
            ),
            Field(
                "increase",
                "rate",
                "added points",
                unit="ad valorem",
                bounds=_RATE_CHANGE,
                # Without a baseline tariff the increase is the whole rate, and 1 + rate
                # must stay positive.
                model_bounds=((GRAVITY, _COST),),
                one_of="amount",
                drawable=True,
                example=0.1,
            ),
        ),
    ),
    PolicyType(
        "export_control",
        "removes the covered varieties; the licence cost on the rest, ad valorem, raises "
        "the delivered price and is booked where its rent goes: nobody by default (a "
        "resource cost, like a trade cost), the exporting region (an export tax) or the "
        "importing region (tariff revenue)",
        (
            _coverage("share of each covered flow's varieties removed"),
            Field(
                "tax_equivalent",
                "rate",
                "licence cost",
                unit="ad valorem",
                bounds=_RATE,
                default=0.0,
                drawable=True,
                example=0.02,
            ),
            # A compliance cost (applications, delays) is a resource cost nobody earns.
            _rent("none"),
        ),
        models=(PE,),
    ),
    PolicyType(
        "trade_cost",
        "an extra cost of delivering (e.g. inspections); nobody earns it",
        (
            Field(
                "cost",
                "rate",
                "ad valorem, e.g. 0.05",
                unit="ad valorem",
                bounds=_COST,
                required=True,
                drawable=True,
                example=0.05,
            ),
        ),
    ),
    PolicyType(
        "demand_shock",
        "shifts the importers' demand for the sector by that share",
        (_change("e.g. -0.05 for 5% less"),),
        models=(PE,),
        exporters=False,
    ),
    PolicyType(
        "supply_shock",
        "shifts the exporters' supply by that share",
        (_change("e.g. -0.05 for 5% less"),),
        models=(PE,),
        importers=False,
    ),
    PolicyType(
        "quota",
        "caps each covered flow's quantity; where the cap binds, the delivered price "
        "carries the wedge that cuts demand to it, and its rent goes to the importer "
        "(tariff revenue), the exporter (export rents, as under a voluntary export "
        "restraint) or nobody; a cap that does not bind changes nothing",
        (
            Field(
                "share",
                "number",
                "ceiling as a share of the baseline quantity",
                unit="share",
                bounds=Bounds(0.0, 100.0),
                default=1.0,
                one_of="ceiling",
                drawable=True,
                example=0.5,
            ),
            Field(
                "volume",
                "number",
                "ceiling as an annual quantity",
                unit="baseline-price units a year",
                bounds=_AMOUNT,
                one_of="ceiling",
                drawable=True,
                example=10.0,
            ),
            # Quota licences are most often allocated by the importing state.
            _rent("importer"),
        ),
        models=(PE,),
    ),
    PolicyType(
        "purchase",
        "a government buys that much of the listed exporters' output of the sector while "
        "in force, for storage or use outside the markets modelled; its cost is the "
        "region's `purchase_cost` in welfare.csv",
        (
            Field(
                "volume",
                "number",
                "an annual quantity at baseline prices",
                unit="baseline-price units a year",
                bounds=_AMOUNT,
                one_of="amount",
                drawable=True,
                example=10.0,
            ),
            Field(
                "spending",
                "number",
                "an annual sum of money",
                unit="the dataset's unit a year",
                bounds=_AMOUNT,
                one_of="amount",
                drawable=True,
                example=10.0,
            ),
        ),
        models=(PE,),
        importers=False,
    ),
    PolicyType(
        "covariate",
        "sets a cost covariate of the pairs (`pta` 0 -> 1: a trade agreement); trade costs "
        "follow from the estimated coefficients",
        (
            Field(
                "variable",
                "text",
                "a cost covariate of the dataset, e.g. pta",
                required=True,
                example="pta",
            ),
            Field(
                "value",
                "number",
                "its new value",
                required=True,
                drawable=True,
                example=1.0,
            ),
        ),
        models=(GRAVITY,),
    ),
)

BY_NAME: dict[str, PolicyType] = {t.name: t for t in POLICY_TYPES}
# Who earns a licence cost or a quota rent when a policy does not say.
DEFAULT_RENT: dict[str, str] = {
    t.name: f.default for t in POLICY_TYPES for f in t.fields if f.name == "rent"
}
RENT_HOLDERS: tuple[str, ...] = _RENT_CHOICES
RENT_ALIASES: dict[str, str] = dict(_RENT_ALIASES)
# The fields read as rates (sim.rates): a fraction or a percent string.
RATE_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(f.name for t in POLICY_TYPES for f in t.fields if f.kind == "rate")
)


def types_of(model: str) -> tuple[PolicyType, ...]:
    """The policy types ``model`` accepts, in declaration order."""
    return tuple(t for t in POLICY_TYPES if model in t.models)


def common_keys(model: str) -> tuple[str, ...]:
    """Names of the fields every policy of ``model`` may take."""
    return tuple(f.name for f in COMMON_FIELDS if model in f.models)


def policy_keys(model: str) -> dict[str, tuple[str, ...]]:
    """Type -> names of its own fields, for the types ``model`` accepts."""
    return {t.name: t.keys for t in types_of(model)}


def all_fields() -> Iterator[tuple[PolicyType | None, Field]]:
    """Every declared field with its type (None for a common field)."""
    for f in COMMON_FIELDS:
        yield None, f
    for t in POLICY_TYPES:
        for f in t.fields:
            yield t, f


def given_member(kind: PolicyType, group: str, values: dict[str, Any]) -> str:
    """The member of a one-of group a resolved policy gave.

    A member without a default is given when it is not None; otherwise the group's member
    with a default is the one in force (a quota without ``volume`` caps by ``share``).
    """
    members = kind.groups()[group]
    for f in members:
        if f.default is None and values.get(f.name) is not None:
            return f.name
    return next(f.name for f in members if f.default is not None or f is members[0])


def drawable_fields(kind: PolicyType, values: dict[str, Any]) -> tuple[str, ...]:
    """The fields ``uncertainty`` may draw for a resolved policy with ``values``."""
    chosen = {g: given_member(kind, g, values) for g in kind.groups()}
    return tuple(
        f.name for f in kind.fields if f.drawable and (not f.one_of or chosen[f.one_of] == f.name)
    )


# -- generated documentation ------------------------------------------------------------

DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "scenarios.md"


def _field_text(kind: PolicyType, f: Field, model: str = PE) -> str:
    """A field in a table cell: name, meaning, range, default."""
    notes = [f.doc] if f.doc else []
    if f.kind in ("rate", "number", "integer") and f.bounds != Bounds():
        percent = f.kind == "rate"
        unit = "" if f.unit in f.doc else f.unit
        notes.append(", ".join(filter(None, (unit, f.bounds_for(model).text(percent=percent)))))
        for other, bounds in f.model_bounds:
            notes[-1] += f"; {bounds.text(percent=percent)} under `model: {other}`"
    if f.kind == "choice":
        spelled = [f"`{c}`" for c in f.choices]
        old = ", ".join(f"`{a}` is the older spelling of `{b}`" for a, b in f.aliases)
        notes.append(" or ".join(spelled) + (f"; {old}" if old else ""))
    if f.required:
        notes.append("required")
    elif f.default not in (None, ""):
        notes.append(f"default {f.default!s:s}" if f.kind == "choice" else f"default {f.default:g}")
    return f"`{f.name}` ({'; '.join(notes)})"


def _fields_cell(kind: PolicyType) -> str:
    parts: list[str] = []
    done: set[str] = set()
    for f in kind.fields:
        if f.one_of:
            if f.one_of in done:
                continue
            done.add(f.one_of)
            members = kind.groups()[f.one_of]
            parts.append(" **or** ".join(_field_text(kind, m) for m in members))
        else:
            parts.append(_field_text(kind, f))
    if not kind.exporters:
        parts.append("no `exporters`")
    if not kind.importers:
        parts.append("no `importers`")
    return ", ".join(parts)


def _models_cell(models: tuple[str, ...]) -> str:
    return ", ".join(f"`{m}`" for m in models)


def types_table() -> str:
    """The Markdown table of policy types: fields, models, effect."""
    lines = ["| type | models | fields | effect |", "|---|---|---|---|"]
    for t in POLICY_TYPES:
        lines.append(f"| `{t.name}` | {_models_cell(t.models)} | {_fields_cell(t)} | {t.doc} |")
    return "\n".join(lines)


def common_table() -> str:
    """The Markdown table of the fields every policy may take."""
    lines = ["| field | models | meaning |", "|---|---|---|"]
    for f in COMMON_FIELDS:
        meaning = f.doc
        if f.name == "type":
            meaning = ", ".join(f"`{t.name}`" for t in POLICY_TYPES)
        if f.name in ("exporters", "importers"):
            left_out = [t.name for t in POLICY_TYPES if not getattr(t, f.name)]
            meaning += f" (not for {', '.join(f'`{n}`' for n in left_out)})"
        lines.append(f"| `{f.name}` | {_models_cell(f.models)} | {meaning} |")
    return "\n".join(lines)


TABLES = {"policy-common-fields": common_table, "policy-types": types_table}


def _marked(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- {name}:start[^>]*-->\n)(.*?)(<!-- {name}:end -->)", flags=re.S)


def with_tables(text: str) -> str:
    """``text`` with every generated table between its markers rewritten."""
    for name, make in TABLES.items():
        found = _marked(name).search(text)
        if found is None:
            raise ValueError(f"no '<!-- {name}:start -->' ... '<!-- {name}:end -->' markers")
        text = f"{text[: found.end(1)]}{make()}\n{text[found.start(3) :]}"
    return text


def starter_comments() -> str:
    """Comment lines listing the policy types and their fields, for ``tradesim init``."""
    lines = ["# Policy types and their own fields (docs/scenarios.md has the details):"]
    for t in types_of(PE):
        groups: list[str] = []
        done: set[str] = set()
        for f in t.fields:
            if f.one_of and f.one_of in done:
                continue
            if f.one_of:
                done.add(f.one_of)
                groups.append(" or ".join(m.name for m in t.groups()[f.one_of]))
            else:
                groups.append(f.name)
        lines.append(f"#   {t.name + ':':<16}{', '.join(groups)}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """``python -m sim.policytypes --write-docs``: rewrite the tables of docs/scenarios.md."""
    if argv != ["--write-docs"]:
        print("usage: python -m sim.policytypes --write-docs", file=sys.stderr)
        return 2
    text = DOCS_PATH.read_text(encoding="utf-8")
    DOCS_PATH.write_text(with_tables(text), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
