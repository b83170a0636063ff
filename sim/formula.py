"""Arithmetic formulas of derived figures: parse once, evaluate with named inputs.

A derived source may state its arithmetic as a formula over named inputs, for example
``us_imports_from_china * jpy_per_usd - seafood``, so that the figure can be recomputed from
the cited numbers instead of being read from prose. Only numbers, input names, ``+``,
``-``, ``*``, ``/`` and parentheses are allowed: a formula is data, never code.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


class FormulaError(ValueError):
    """A formula that is not plain arithmetic over known names."""


def parse_formula(text: str) -> ast.expr:
    """The expression tree of ``text``, refused unless it is plain arithmetic.

    Parameters
    ----------
    text : str
        For example ``"a * 130 - (b + c)"``.

    Raises
    ------
    FormulaError
        On a syntax error or anything but numbers, names, ``+ - * /`` and parentheses.
    """
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as error:
        raise FormulaError(f"not a formula: {error.msg}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            continue
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            continue
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            continue
        if isinstance(node, ast.Name | ast.operator | ast.unaryop | ast.Load):
            continue
        raise FormulaError(f"only numbers, names, + - * / and parentheses are allowed: {text!r}")
    return tree


def formula_names(text: str) -> set[str]:
    """The input names a formula uses."""
    return {node.id for node in ast.walk(parse_formula(text)) if isinstance(node, ast.Name)}


def is_product(text: str) -> bool:
    """True if the formula only multiplies and divides (a figure converted to another unit)."""
    return not any(
        isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub)
        for node in ast.walk(parse_formula(text))
    )


def evaluate(text: str, values: Mapping[str, float]) -> float:
    """The value of formula ``text`` with its names bound to ``values``.

    Parameters
    ----------
    text : str
        A formula accepted by :func:`parse_formula`.
    values : mapping
        Input name -> number; every name of the formula must be present.

    Raises
    ------
    FormulaError
        On an unknown name or a division by zero.
    """

    def value(node: ast.expr) -> float:
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, int | float)  # parse_formula allows nothing else
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise FormulaError(f"unknown input '{node.id}'")
            return float(values[node.id])
        if isinstance(node, ast.UnaryOp):
            inner = value(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        assert isinstance(node, ast.BinOp)
        left, right = value(node.left), value(node.right)
        if isinstance(node.op, ast.Div) and right == 0:
            raise FormulaError("division by zero")
        return float(_BINARY[type(node.op)](left, right))

    return value(parse_formula(text))
