"""Result CSVs compared with the stated tolerance: what passes, what is reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.csvtext import SCALE, format_cell
from sim.gravity.solve import ACCEPTED
from sim.resultdiff import (
    ATOL,
    RTOL,
    Tolerance,
    compare_csv_files,
    compare_csv_text,
    compare_folders,
)
from sim.solve import TOLERANCE

FLOWS = (
    "period,sector,exporter,importer,value,baseline_value,change,change_pct\n"
    "2006,all,MYS,CHN,16996.640787,16995.585837,1.054950,0.006207\n"
    "2006,all,MYS,JPN,0.250000,0.200000,0.050000,25.000000\n"
)
SUMMARY = (
    "indicator,sector,region,partner,unit,value,baseline_value,change,change_pct\n"
    "real_gdp,all,ZAF,,USD million,135687.123005,135696.427035,-9.304030,-0.006857\n"
)


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_the_constants_are_derived_from_the_csv_precision_and_the_solvers() -> None:
    assert ATOL == pytest.approx(2 * 0.5 / SCALE + 0.5 / SCALE) == pytest.approx(1.5e-6)
    assert RTOL == pytest.approx(10 * max(TOLERANCE, ACCEPTED)) == pytest.approx(1e-9)


def test_identical_texts_agree() -> None:
    assert compare_csv_text(FLOWS, FLOWS) == []
    assert compare_csv_text("", "") == []


def test_a_sixth_decimal_flipped_by_rounding_on_each_side_agrees() -> None:
    # the difference seen between two CPUs on gravity-can-jpn-pta-gegravity
    fresh = edit(FLOWS, "1.054950", "1.054951")
    assert compare_csv_text(fresh, FLOWS) == []
    assert compare_csv_text(edit(FLOWS, "0.250000", "0.250001"), FLOWS) == []


def test_a_number_beyond_the_tolerance_is_reported_with_its_place_and_both_values() -> None:
    fresh = edit(FLOWS, "0.250000", "0.250002")
    assert compare_csv_text(fresh, FLOWS, name="x/flows.csv") == [
        "x/flows.csv line 3 (2006, all, MYS, JPN): value: '0.250002' vs '0.250000'"
    ]


def test_large_values_agree_to_the_relative_tolerance() -> None:
    # 135687.123005 * 1e-9 = 1.4e-4: with atol, up to about 1.37e-4 apart
    assert compare_csv_text(edit(SUMMARY, "135687.123005", "135687.123100"), SUMMARY) == []
    assert compare_csv_text(edit(SUMMARY, "135687.123005", "135687.123200"), SUMMARY) == [
        "line 2 (real_gdp, all, ZAF, ): value: '135687.123200' vs '135687.123005'"
    ]


def test_a_change_takes_the_error_of_the_values_it_is_the_difference_of() -> None:
    # value - baseline_value of about 17 000 each: 1e-9 relative of them is 1.7e-5
    assert compare_csv_text(edit(FLOWS, "1.054950", "1.054960"), FLOWS) == []
    assert len(compare_csv_text(edit(FLOWS, "1.054950", "1.054990"), FLOWS)) == 1
    # without its operands in the row, a change is held to its own size
    alone = "period,change\n2006,1.054950\n"
    assert len(compare_csv_text(edit(alone, "1.054950", "1.054960"), alone)) == 1


@pytest.mark.parametrize(
    ("old", "new", "column"),
    [
        ("MYS,JPN", "MYS,KOR", "importer"),
        ("2006,all,MYS,CHN", "2007,all,MYS,CHN", "period"),  # numeric-looking key
        ("2006,all,MYS,CHN", "2006.0,all,MYS,CHN", "period"),
    ],
)
def test_a_changed_key_is_reported_however_close_as_a_number(
    old: str, new: str, column: str
) -> None:
    [difference] = compare_csv_text(edit(FLOWS, old, new), FLOWS)
    assert f": {column}: " in difference


def test_text_and_empty_cells_must_be_identical() -> None:
    [unit] = compare_csv_text(edit(SUMMARY, "USD million", "USD bn"), SUMMARY)
    assert unit.endswith("unit: 'USD bn' vs 'USD million'")
    empty = edit(FLOWS, "25.000000\n", "\n")
    assert compare_csv_text(empty, FLOWS) == [
        "line 3 (2006, all, MYS, JPN): change_pct: '' vs '25.000000'"
    ]


def test_infinities_agree_only_with_themselves() -> None:
    tolerance = Tolerance()
    assert tolerance.allows(float("inf"), float("inf"))
    assert not tolerance.allows(float("inf"), 1e300)
    assert not tolerance.allows(float("-inf"), float("inf"))
    assert not tolerance.allows(float("nan"), float("nan"))


def test_header_and_row_count_differences_are_reported() -> None:
    renamed = edit(FLOWS, "change_pct", "pct")
    assert compare_csv_text(renamed, FLOWS, name="f.csv") == [
        "f.csv: header "
        "'period,sector,exporter,importer,value,baseline_value,change,pct' vs "
        "'period,sector,exporter,importer,value,baseline_value,change,change_pct'"
    ]
    shorter = FLOWS.splitlines(keepends=True)[:2]
    assert compare_csv_text("".join(shorter), FLOWS, name="f.csv") == ["f.csv: 1 rows vs 2 rows"]
    assert compare_csv_text("", FLOWS, name="f.csv") == ["f.csv: one file is empty"]


def test_a_stricter_tolerance_can_be_given() -> None:
    fresh = edit(FLOWS, "0.250000", "0.250001")
    assert len(compare_csv_text(fresh, FLOWS, tolerance=Tolerance(atol=0.0, rtol=0.0))) == 1


def test_files_and_folders(tmp_path: Path) -> None:
    fresh, kept = tmp_path / "fresh" / "s", tmp_path / "kept" / "s"
    fresh.mkdir(parents=True)
    kept.mkdir(parents=True)
    (kept / "flows.csv").write_text(FLOWS)
    (fresh / "flows.csv").write_text(edit(FLOWS, "0.050000", "0.060000"))
    (kept / "summary.csv").write_text(SUMMARY)
    [difference] = compare_csv_files(fresh / "flows.csv", kept / "flows.csv")
    assert difference.startswith("s/flows.csv line 3 (2006, all, MYS, JPN): change:")
    assert compare_folders(fresh, kept, ["flows.csv", "summary.csv"]) == [
        difference,
        f"s/summary.csv: missing {fresh / 'summary.csv'}",
    ]


@given(
    value=st.floats(min_value=-1e8, max_value=1e8),
    baseline=st.floats(min_value=-1e8, max_value=1e8),
    error=st.floats(min_value=-1e-10, max_value=1e-10),
)
def test_values_within_the_solver_tolerance_agree_after_rounding(
    value: float, baseline: float, error: float
) -> None:
    """What another CPU may write: the values off by up to the solver tolerance, rounded."""
    header = "period,value,baseline_value,change\n"

    def row(v: float, b: float) -> str:
        return f"2006,{format_cell(v)},{format_cell(b)},{format_cell(v - b)}\n"

    other = value * (1 + error), baseline * (1 - error)
    assert compare_csv_text(header + row(*other), header + row(value, baseline)) == []
