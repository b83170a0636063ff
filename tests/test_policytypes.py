"""The policy declaration and everything generated from it.

The cases below are built from :data:`sim.policytypes.POLICY_TYPES`, so a new type or
field is covered without a new test: every bound is tried just outside and at (or just
inside) its edge through ``tradesim validate``, every field is accepted by both the JSON
Schema and the reader, and every drawable field may be drawn within its range only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sim._yaml import load_yaml
from sim.cli import main
from sim.policytypes import (
    BY_NAME,
    COMMON_FIELDS,
    DOCS_PATH,
    GRAVITY,
    MODELS,
    PE,
    POLICY_TYPES,
    Bounds,
    Field,
    PolicyType,
    all_fields,
    common_keys,
    drawable_fields,
    policy_keys,
    types_of,
    with_tables,
)
from sim.scenario_schema import POLICY_PROPERTIES, schema_errors

# Relative step "just outside" a bound: far above float rounding of a percent string and far
# below any figure a scenario would mean.
STEP = 1e-6

HEADS = {
    PE: "name: edge\nstart: 2023Q1\nend: 2024Q4\npolicies:\n",
    GRAVITY: "name: edge\nmodel: gravity\ndataset: gegravity-sample-2006\npolicies:\n",
}


def written(value: Any, declared: Field) -> str:
    """``value`` as a scenario file writes it: a rate above 1 in size as a percent."""
    if isinstance(value, str):
        return value
    if declared.kind == "integer":
        return str(int(value))
    if declared.kind == "rate" and abs(value) > 1:
        return f"'{value * 100:.12g}%'"
    return f"{value:.12f}"


def policy_lines(model: str, kind: PolicyType, given: dict[str, str]) -> list[str]:
    """A valid policy of ``kind`` for ``model`` (examples from the declaration), with
    ``given`` fields set as written (they replace the other members of their group)."""
    lines = ["  - id: p", f"    type: {kind.name}"]
    if model == PE:
        lines += ["    sector: seafood", "    start: 2023Q2"]
    exporter, importer = ("JPN", "CHN") if model == PE else ("CAN", "JPN")
    if kind.exporters:
        lines.append(f"    exporters: [{exporter}]")
    if kind.importers:
        lines.append(f"    importers: [{importer}]")
    taken = {kind.field(n).one_of for n in given if n in kind.keys} - {""}
    for group, members in kind.groups().items():
        if group not in taken:
            given = {members[0].name: written(members[0].example, members[0]), **given}
    for f in kind.fields:
        if f.required and f.name not in given:
            given = {f.name: written(f.example, f), **given}
    lines += [f"    {name}: {text}" for name, text in given.items()]
    return lines


def write(tmp_path: Path, model: str, lines: list[str], tail: str = "") -> Path:
    path = tmp_path / "edge.yaml"
    path.write_text(HEADS[model] + "\n".join(lines) + "\n" + tail, encoding="utf-8")
    return path


def validate(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


def bound_cases() -> list[Any]:
    """(model, type, field, side, outside, inside) for every declared bound."""
    cases = []
    phase_in = next(f for f in COMMON_FIELDS if f.name == "phase_in")
    for model in MODELS:
        for kind in types_of(model):
            own = list(kind.fields)
            if kind.name == "ban" and model in phase_in.models:
                own.append(phase_in)
            for f in own:
                bounds = f.bounds_for(model)
                for side in ("low", "high"):
                    bound = getattr(bounds, side)
                    if bound is None:
                        continue
                    sign = -1.0 if side == "low" else 1.0
                    step = 1.0 if f.kind == "integer" else STEP * max(1.0, abs(bound))
                    excluded = getattr(bounds, f"{side}_open")
                    outside = bound if excluded else bound + sign * step
                    inside = bound - sign * step if excluded else bound
                    cases.append(
                        pytest.param(
                            model,
                            kind.name,
                            f,
                            side,
                            outside,
                            inside,
                            id=f"{model}-{kind.name}-{f.name}-{side}",
                        )
                    )
    return cases


@pytest.mark.parametrize(("model", "kind", "declared", "side", "outside", "inside"), bound_cases())
def test_every_bound_refuses_just_outside_and_accepts_its_edge(
    tmp_path: Path,
    model: str,
    kind: str,
    declared: Field,
    side: str,
    outside: float,
    inside: float,
) -> None:
    lines = policy_lines(model, BY_NAME[kind], {declared.name: written(outside, declared)})
    path = write(tmp_path, model, lines)
    code, output = validate(path)
    line = next(
        k
        for k, text in enumerate(path.read_text().splitlines(), 1)
        if text.startswith(f"    {declared.name}: ")
    )
    assert code == 2, output
    assert output.count("\n") == 1, output
    assert output.startswith(f"Error: {path}:{line}:{len(declared.name) + 7}: ")
    assert f": policies[0].{declared.name}: " in output
    word = "below" if side == "low" else "above"
    assert re.search(rf"is {word} the allowed|must be {word}", output), output

    lines = policy_lines(model, BY_NAME[kind], {declared.name: written(inside, declared)})
    code, output = validate(write(tmp_path, model, lines))
    assert code == 0, output


def test_every_bound_of_the_declaration_is_tried() -> None:
    tried = {(p.values[0], p.values[1], p.values[2].name) for p in bound_cases()}
    for model in MODELS:
        for kind in types_of(model):
            for f in kind.fields:
                if f.bounds_for(model) != Bounds():
                    assert (model, kind.name, f.name) in tried


def every_policy() -> list[Any]:
    """(model, type, fields given): each type with every field it declares, one variant per
    member of each one-of group."""
    cases = []
    for model in MODELS:
        for kind in types_of(model):
            groups = kind.groups() or {"": ()}
            width = max(len(members) for members in groups.values()) or 1
            for k in range(width):
                given = {}
                for f in kind.fields:
                    members = groups.get(f.one_of, ())
                    if f.one_of and members[min(k, len(members) - 1)] is not f:
                        continue
                    given[f.name] = written(f.example, f)
                if model == PE:
                    given |= {"end": "2024-07-01", "phase_in": "2"}
                given |= {"description": "a policy", "source": "an assumption, to test"}
                cases.append(pytest.param(model, kind.name, given, id=f"{model}-{kind.name}-{k}"))
    return cases


@pytest.mark.parametrize(("model", "kind", "given"), every_policy())
def test_every_declared_field_is_accepted_by_the_schema_and_the_reader(
    tmp_path: Path, model: str, kind: str, given: dict[str, str]
) -> None:
    path = write(tmp_path, model, policy_lines(model, BY_NAME[kind], given))
    assert schema_errors(load_yaml(path, what="scenario")) == []
    code, output = validate(path)
    assert code == 0, output


def test_the_schema_declares_exactly_the_declared_fields_and_types() -> None:
    assert set(POLICY_PROPERTIES) == {f.name for _, f in all_fields()}
    assert POLICY_PROPERTIES["type"]["enum"] == [t.name for t in POLICY_TYPES]


@pytest.mark.parametrize("model", MODELS)
def test_an_undeclared_key_is_refused_by_the_schema_and_the_reader(
    tmp_path: Path, model: str
) -> None:
    kind = types_of(model)[0]
    path = write(tmp_path, model, policy_lines(model, kind, {"colour": "red"}))
    problems = schema_errors(load_yaml(path, what="scenario"))
    assert [p.message for p in problems] == [
        problems[0].message
    ] and "unknown field 'colour'" in problems[0].message
    code, output = validate(path)
    assert code == 2
    assert "policies[0].colour: unknown field 'colour'" in output


def foreign_keys() -> list[Any]:
    """(model, type, key): for each type, a key the schema knows (it is declared for
    another type or model) that this type does not take; only the reader can refuse it."""
    cases = []
    for model in MODELS:
        for kind in types_of(model):
            own = {*common_keys(model), *kind.keys}
            key = next(name for name in POLICY_PROPERTIES if name not in own)
            cases.append(pytest.param(model, kind.name, key, id=f"{model}-{kind.name}-{key}"))
    return cases


@pytest.mark.parametrize(("model", "kind", "key"), foreign_keys())
def test_a_field_of_another_type_passes_the_schema_and_is_refused_by_the_reader(
    tmp_path: Path, model: str, kind: str, key: str
) -> None:
    # `sector` and dates are refused by the gravity reader with their own reason.
    value = {"sector": "seafood", "start": "2023Q2", "end": "2024Q1", "phase_in": "1"}
    declared = next(f for t, f in all_fields() if f.name == key)
    text = value.get(key) or written(declared.example, declared)
    path = write(tmp_path, model, policy_lines(model, BY_NAME[kind], {key: text}))
    assert schema_errors(load_yaml(path, what="scenario")) == []
    code, output = validate(path)
    assert code == 2
    assert output.count("\n") == 1
    assert f": policies[0].{key}: " in output


def test_the_readers_take_the_declared_keys() -> None:
    from sim.gravity.types import GRAVITY_POLICY_KEYS
    from sim.scenario import COMMON_POLICY_KEYS, POLICY_KEYS

    assert POLICY_KEYS == policy_keys(PE)
    assert GRAVITY_POLICY_KEYS == policy_keys(GRAVITY)
    assert COMMON_POLICY_KEYS == common_keys(PE)
    assert "sector" not in common_keys(GRAVITY)


def drawable_cases() -> list[Any]:
    cases = []
    for model in MODELS:
        for kind in types_of(model):
            for f in kind.fields:
                if f.drawable:
                    cases.append(pytest.param(model, kind, f, id=f"{model}-{kind.name}-{f.name}"))
    return cases


@pytest.mark.parametrize(("model", "kind", "declared"), drawable_cases())
def test_a_drawable_field_may_be_drawn_within_its_range_only(
    tmp_path: Path, model: str, kind: PolicyType, declared: Field
) -> None:
    given = {declared.name: written(declared.example, declared)}
    lines = policy_lines(model, kind, given)
    low = declared.example
    high = low + 1e-3 * max(1.0, abs(low))
    key = f"policies.p.{declared.name}"
    tail = f"uncertainty:\n  {key}: {{dist: uniform, low: {low}, high: {high}}}\n"
    code, output = validate(write(tmp_path, model, lines, tail))
    assert code == 0, output
    bounds = declared.bounds_for(model)
    if bounds.low is None:
        return
    tail = f"uncertainty:\n  {key}: {{dist: uniform, low: {bounds.low - 1}, high: {high}}}\n"
    code, output = validate(write(tmp_path, model, lines, tail))
    assert code == 2
    assert f"uncertainty.{key}: values must be" in output


@pytest.mark.parametrize(
    ("kind", "values", "drawable"),
    [
        ("tariff", {"rate": None, "increase": 0.1}, ("increase",)),
        ("tariff", {"rate": 0.2, "increase": None}, ("rate",)),
        ("quota", {"share": 1.0, "volume": None, "rent": ""}, ("share",)),
        ("quota", {"share": 1.0, "volume": 5.0, "rent": ""}, ("volume",)),
        ("purchase", {"volume": None, "spending": 40.0}, ("spending",)),
        (
            "export_control",
            {"coverage": 1.0, "tax_equivalent": 0.0},
            ("coverage", "tax_equivalent"),
        ),
        ("covariate", {"variable": "pta", "value": 1.0}, ("value",)),
    ],
)
def test_only_the_member_a_policy_gave_of_a_one_of_group_is_drawable(
    kind: str, values: dict[str, Any], drawable: tuple[str, ...]
) -> None:
    assert drawable_fields(BY_NAME[kind], values) == drawable


def test_docs_tables_are_generated_from_the_declaration() -> None:
    text = DOCS_PATH.read_text(encoding="utf-8")
    assert with_tables(text) == text, "run: python -m sim.policytypes --write-docs"


def test_docs_tables_change_when_the_declaration_does(monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.policytypes as declaration

    text = DOCS_PATH.read_text(encoding="utf-8")
    changed = tuple(
        PolicyType(t.name, t.doc + " (changed)", t.fields, t.models, t.exporters, t.importers)
        for t in POLICY_TYPES
    )
    monkeypatch.setattr(declaration, "POLICY_TYPES", changed)
    assert with_tables(text) != text
    assert "removes that share of each covered flow's varieties (changed)" in with_tables(text)


def test_missing_markers_are_an_error() -> None:
    with pytest.raises(ValueError, match="policy-common-fields:start"):
        with_tables("# Scenario format\n")


def test_write_docs_rewrites_only_the_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sim.policytypes as declaration

    stale = DOCS_PATH.read_text(encoding="utf-8").replace("| `ban` |", "| `banned` |", 1)
    copy = tmp_path / "scenarios.md"
    copy.write_text(stale, encoding="utf-8")
    monkeypatch.setattr(declaration, "DOCS_PATH", copy)
    assert declaration.main(["--write-docs"]) == 0
    assert copy.read_text(encoding="utf-8") == DOCS_PATH.read_text(encoding="utf-8")
    assert declaration.main([]) == 2


def test_the_starter_lists_every_sector_model_type_and_validates(tmp_path: Path) -> None:
    from sim.starter import starter_scenario

    text = starter_scenario("mine")
    for kind in types_of(PE):
        assert re.search(rf"^#   {kind.name}: +\S", text, flags=re.M), kind.name
    assert "covariate" not in text
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    assert validate(path) == (
        0,
        f"{path}: valid (mine: 1 policy, 2023Q1-2026Q4, dataset japan-china-2022)\n",
    )


def test_default_rents_and_rate_fields_come_from_the_declaration() -> None:
    from sim.policy import DEFAULT_RENT
    from sim.rates import RATE_FIELDS

    assert DEFAULT_RENT == {"export_control": "none", "quota": "importer"}
    assert set(RATE_FIELDS) == {f.name for _, f in all_fields() if f.kind == "rate"}
    assert set(RATE_FIELDS) == {"rate", "increase", "coverage", "cost", "change", "tax_equivalent"}


@pytest.mark.parametrize(
    ("bounds", "number", "problem"),
    [
        (Bounds(0.0, 1.0), 0.0, None),
        (Bounds(0.0, 1.0), 1.0, None),
        (Bounds(0.0, 1.0), -1e-12, "below"),
        (Bounds(0.0, 1.0), 1.0 + 1e-12, "above"),
        (Bounds(1.0, None, low_open=True), 1.0, "below"),
        (Bounds(None, 2.0, high_open=True), 2.0, "above"),
        (Bounds(), -1e300, None),
    ],
)
def test_bounds_include_their_edges_unless_open(
    bounds: Bounds, number: float, problem: str | None
) -> None:
    assert bounds.problem(number) == problem


def test_bounds_in_words() -> None:
    assert Bounds(-0.9, 10.0).text(percent=True) == "-0.9 (-90%) to 10 (1000%)"
    assert Bounds(1.0, None, low_open=True).text() == "above 1"
    assert Bounds(0.0, None).text() == "at least 0"
    assert Bounds().text() == "any number"
