"""The one table renderer of the command line, on tables laid out by hand."""

from __future__ import annotations

import json
import math

import pytest

from sim.cli.render import Column, json_records, render


def test_text_and_numbers_are_padded_and_aligned() -> None:
    columns = [Column("name", 6), Column("value", 8, ">", ".1f"), Column("chg", 7, ">", "+.1f")]
    lines = render(columns, [["JPN", 1234.56, -0.04], ["CHN", 2.0, 3.25]])
    assert lines == [
        "name     value    chg",
        "JPN     1234.6   -0.0",
        "CHN        2.0   +3.2",
    ]


def test_missing_and_nan_numbers_are_blank_cells_of_the_column_width() -> None:
    columns = [Column("a", 3), Column("x", 6, ">", "+.1f"), Column("end", 4, ">")]
    lines = render(columns, [["r", math.nan, "z"], ["s", None, "z"]], header=False)
    # 3 + 6 + 4 characters: the blank keeps "z" where a number would have put it
    assert lines == ["r" + " " * 11 + "z", "s" + " " * 11 + "z"]


def test_gaps_indent_and_an_unpadded_last_column() -> None:
    columns = [Column("rank", 4, ">", gap=2), Column("p", 3, gap=2), Column("note", 0, gap=2)]
    lines = render(columns, [[1, "ab", "long note"]], indent="  ")
    assert lines == ["    rank  p    note", "       1  ab   long note"]
    assert not any(line.endswith(" ") for line in lines)


def test_a_numeric_column_formats_integers_and_numeric_text_as_numbers() -> None:
    assert render([Column("v", 7, ">", ".4g")], [[12345]], header=False) == ["1.234e+04"]
    assert render([Column("v", 7, ">", ".1f")], [[3]], header=False) == ["    3.0"]
    # text in a numeric column is shown as it is (a row label, for instance)
    assert render([Column("v", 5, ">", ".1f")], [["n/a"]], header=False) == ["  n/a"]


def test_a_row_of_the_wrong_length_is_a_bug_not_a_silent_misalignment() -> None:
    with pytest.raises(ValueError, match="a row of 1 values for 2 columns"):
        render([Column("a", 1), Column("b", 1)], [["x"]])


def test_json_records_round_as_the_csv_files_and_turn_nan_into_null() -> None:
    text = json_records(["name", "v", "gap"], [["a", 1.23456789, math.nan], ["b", -0.0, 2]])
    assert json.loads(text) == [
        {"name": "a", "v": 1.234568, "gap": None},
        {"name": "b", "v": 0.0, "gap": 2},
    ]
    assert '"v": 0.0' in text  # no negative zero
    assert text.startswith('[\n  {\n    "name": "a"')
