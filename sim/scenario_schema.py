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
from typing import Any

from sim._yaml import Document, FieldPath
from sim.errors import InputError

POLICY_TYPES = (
    "ban",
    "tariff",
    "export_control",
    "trade_cost",
    "demand_shock",
    "supply_shock",
    "quota",
    "purchase",
    "covariate",
)

_TEXT = {"type": "string"}
_NUMBER = {"type": "number"}
_DATE = {"type": ["string", "integer"], "$comment": "date"}
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
POLICY_PROPERTIES: dict[str, Any] = {
    "id": _TEXT,
    "type": {"enum": list(POLICY_TYPES)},
    "description": _TEXT,
    "source": _TEXT,
    "sector": _NAMES,
    "exporters": _REGIONS,
    "importers": _REGIONS,
    "start": _DATE,
    "end": {"type": ["string", "integer", "null"], "$comment": "date"},
    "phase_in": {"type": "integer", "minimum": 0},
    "coverage": {**_RATE, "minimum": 0, "maximum": 1},
    "rate": {**_RATE, "minimum": 0},
    "increase": _RATE,
    "tax_equivalent": {**_RATE, "minimum": 0},
    "cost": _RATE,
    "change": {**_RATE, "minimum": -1},
    "share": {"type": "number", "minimum": 0},
    "volume": {"type": "number", "minimum": 0},
    "spending": {"type": "number", "minimum": 0},
    "rent": {"enum": ["importer", "exporter", "none", "lost"]},
    "variable": _TEXT,
    "value": _NUMBER,
}
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
        "model": {"enum": ["armington-pe", "gravity"]},
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
    if kind in ("minimum", "exclusiveMinimum"):
        bound = error.validator_value
        return where, f"{error.instance} is below the allowed minimum {bound}", False
    if kind == "maximum":
        bound = error.validator_value
        return where, f"{error.instance} is above the allowed maximum {bound}", False
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
