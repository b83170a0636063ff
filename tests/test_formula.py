"""Formulas of derived figures: plain arithmetic over named inputs, nothing else."""

from __future__ import annotations

import pytest

from sim.formula import FormulaError, evaluate, formula_names


def test_a_residual_is_computed_by_hand() -> None:
    # China's exports in yen less two pair flows: 3,590 x 130 - 69,784 - 24,875.2
    value = evaluate(
        "exports_usd * rate - to_usa - to_jpn",
        {
            "exports_usd": 3590,
            "rate": 130,
            "to_usa": 69784,
            "to_jpn": 24875.2,
        },
    )
    assert value == pytest.approx(372_040.8, abs=1e-9)


def test_precedence_parentheses_and_unary_minus() -> None:
    assert evaluate("(a + b) * c / 4 - -d", {"a": 1, "b": 3, "c": 2, "d": 0.5}) == 2.5
    assert formula_names("(a + b) * c / 4 - -d") == {"a", "b", "c", "d"}


@pytest.mark.parametrize(
    "text",
    ["__import__('os')", "a ** 2", "a if b else c", "a.b", "[a]", "a < b", "'text'", "a +"],
)
def test_anything_but_arithmetic_is_refused(text: str) -> None:
    with pytest.raises(FormulaError):
        formula_names(text)


def test_unknown_names_and_division_by_zero_are_errors() -> None:
    with pytest.raises(FormulaError, match="unknown input 'b'"):
        evaluate("a - b", {"a": 1})
    with pytest.raises(FormulaError, match="division by zero"):
        evaluate("a / b", {"a": 1, "b": 0})
