"""The structure of a scenario file as a JSON Schema, checked with :mod:`jsonschema`.

The schema checks each file on its own (a file that extends another may give only some
fields of a policy): which keys exist, their types, enumerations and numeric bounds. What
needs the dataset or the whole chain of files (known sectors and regions, dates in order,
inherited policy ids) is checked afterwards in :mod:`sim.scenario`. Schema errors are
translated into the one-line messages of the rest of tradesim, at the position of the
offending value.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from typing import Any

from sim._yaml import Document, FieldPath
from sim.errors import InputError
from sim.policytypes import MODELS, POLICY_TYPES, Field, all_fields

_TEXT = {"type": "string"}
_NUMBER = {"type": "number"}
_DATE = {"type": ["string", "integer"], "$comment": "date"}
_NULLABLE_DATE = {"type": ["string", "integer", "null"], "$comment": "date"}
# A rate (sim.rates): a fraction or a percent string; bounds apply to numbers only.
_RATE = {"type": ["number", "string"], "$comment": "rate"}
_NAMES = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
_REGIONS = {
    "anyOf": [
        {"type": "string"},
        {"type": "array", "items": {"type": "string"}},
        {
            "type": "object",
            "properties": {"all_except": {"type": "array", "items": {"type": "string"}}},
            "required": ["all_except"],
            "additionalProperties": False,
        },
    ]
}
_RUNS = {
    "type": "object",
    "properties": {"short_run": _NUMBER, "long_run": _NUMBER},
    "additionalProperties": False,
}
_ELASTICITIES = {name: _RUNS for name in ("sigma", "sigma_domestic", "sigma_import", "eps", "eta")}
_SECTOR_PARAMETERS = {
    "type": "object",
    "properties": {
        **_ELASTICITIES,
        "half_life_quarters": {"type": "number", "exclusiveMinimum": 0},
        "regions": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": _ELASTICITIES,
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}


def _policy_property(fields: list[Field]) -> dict[str, Any]:
    """The schema of one policy key, from its declarations under every type and model.

    A file that extends another may change a policy's fields without naming its type, so
    the schema cannot tell which type's bounds apply: it checks the widest range of the
    field's declarations, and :mod:`sim.scenario` checks the type's own.
    """
    first = fields[0]
    kinds = {f.kind for f in fields}
    assert len(kinds) == 1, f"policy field '{first.name}' is declared with two kinds"
    if first.kind == "choice":
        values = {c for f in fields for c in (*f.choices, *(a for a, _ in f.aliases))}
        if first.name == "type":
            return {"enum": [t.name for t in POLICY_TYPES]}
        return {"enum": sorted(values, key=[*first.choices, *dict(first.aliases)].index)}
    if first.kind == "date":
        return _NULLABLE_DATE if first.nullable else _DATE
    shape: dict[str, dict[str, Any]] = {
        "rate": _RATE,
        "number": _NUMBER,
        "integer": {"type": "integer"},
    }
    simple: dict[str, dict[str, Any]] = {"text": _TEXT, "names": _NAMES, "regions": _REGIONS}
    if first.kind in simple:
        return simple[first.kind]
    out = dict(shape[first.kind])
    every = [f.bounds_for(m) for f in fields for m in MODELS]
    lows = [b for b in every if b.low is not None]
    highs = [b for b in every if b.high is not None]
    # A bare number above 1 in size is never a valid rate, and sim.rates says how to write
    # it as a percent: a rate's bound beyond 1 is left to the reader, which gives that hint.
    reach = 1.0 if first.kind == "rate" else math.inf
    if len(lows) == len(every):
        low = min(lows, key=lambda b: (b.low, not b.low_open))
        if low.low is not None and abs(low.low) <= reach:
            out["exclusiveMinimum" if low.low_open else "minimum"] = low.low
    if len(highs) == len(every):
        high = max(highs, key=lambda b: (b.high, b.high_open))
        if high.high is not None and abs(high.high) <= reach:
            out["exclusiveMaximum" if high.high_open else "maximum"] = high.high
    return out


def policy_properties() -> dict[str, Any]:
    """The JSON Schema properties of a policy, generated from :mod:`sim.policytypes`."""
    by_name: dict[str, list[Field]] = {}
    for _, f in all_fields():
        by_name.setdefault(f.name, []).append(f)
    return {name: _policy_property(fields) for name, fields in by_name.items()}


POLICY_PROPERTIES: dict[str, Any] = policy_properties()
_DISTRIBUTION = {
    "type": "object",
    "properties": {
        "dist": {"enum": ["uniform", "triangular", "normal", "lognormal"]},
        **{name: _NUMBER for name in ("low", "high", "mode", "mean", "sd", "median", "sigma")},
    },
    "required": ["dist"],
    "additionalProperties": False,
}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "tradesim scenario file",
    "type": "object",
    "properties": {
        "name": _TEXT,
        "description": _TEXT,
        "extends": _TEXT,
        "dataset": _TEXT,
        "start": _DATE,
        "end": _DATE,
        "policies": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "properties": POLICY_PROPERTIES,
                "required": ["id"],
                "additionalProperties": False,
            },
        },
        "parameters": {"type": ["object", "null"], "additionalProperties": _SECTOR_PARAMETERS},
        "demand_growth": {"type": ["object", "null"], "additionalProperties": _RATE},
        "uncertainty": {"type": ["object", "null"], "additionalProperties": _DISTRIBUTION},
        "model": {"enum": list(MODELS)},
        "gravity": {
            "type": ["object", "null"],
            "properties": {
                "closure": {"enum": ["exact", "fixed-deficits", "gegravity-compatible"]},
                "sigma": {"type": "number", "exclusiveMinimum": 1},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}

_TYPE_WORDS = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "object": "a mapping",
    "array": "a list",
    "null": "nothing",
}


def _jsonable(value: Any) -> Any:
    """YAML values as JSON values: dates become ISO text."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _describe(error: Any) -> tuple[FieldPath, str, bool]:
    """Field path, message and whether to point at the key, for one schema error."""
    where: FieldPath = tuple(error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties":
        allowed = tuple(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        key = str(extra[0])
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        listed = f"allowed: {', '.join(allowed)}" if allowed else "no fields allowed here"
        return (*where, key), f"unknown field '{key}'; {hint}{listed}", True
    if kind == "required":
        missing = error.message.split("'")[1]
        hint = " (a name to refer to the policy by)" if missing == "id" else ""
        return where, f"missing required field '{missing}'{hint}", False
    if kind == "enum":
        choices = ", ".join(map(str, error.validator_value))
        close = difflib.get_close_matches(str(error.instance), error.validator_value, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        what = "policy type" if where and where[-1] == "type" else "value"
        return where, f"unknown {what} {error.instance!r}; {hint}allowed: {choices}", False
    if kind == "type" and error.schema.get("$comment") == "date":
        return (
            where,
            f"expected a date (2023-08-24) or a quarter (2023Q3), got {error.instance!r}",
            False,
        )
    if kind == "type" and error.schema.get("$comment") == "rate":
        return (
            where,
            f"expected a fraction (0.25) or a percent ('25%'), got {error.instance!r}",
            False,
        )
    if kind == "type":
        wanted = error.validator_value
        names = [wanted] if isinstance(wanted, str) else wanted
        words = " or ".join(_TYPE_WORDS[t] for t in names)
        return where, f"expected {words}, got {error.instance!r}", False
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum") and not (
        math.isfinite(error.instance)
    ):
        return where, f"expected a finite number, got {error.instance}", False
    if kind in ("minimum", "exclusiveMinimum"):
        bound = error.validator_value
        return where, f"{error.instance} is below the allowed minimum {bound:g}", False
    if kind in ("maximum", "exclusiveMaximum"):
        bound = error.validator_value
        return where, f"{error.instance} is above the allowed maximum {bound:g}", False
    if kind == "anyOf":
        wanted = "a name, a list of names or {all_except: [...]}"
        return where, f"expected {wanted}, got {error.instance!r}", False
    return where, error.message, False  # pragma: no cover - every keyword used is handled above


def schema_errors(doc: Document) -> list[InputError]:
    """Every structural problem of one scenario file, located and in file order."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(SCHEMA)
    errors = []
    for error in validator.iter_errors(_jsonable(doc.data)):
        where, message, at_key = _describe(error)
        errors.append(doc.error(where, message, at_key=at_key))
    return errors
