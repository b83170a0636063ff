from __future__ import annotations

import datetime as dt

import pytest

from sim.quarters import Quarter, covered_share, parse_date, parse_quarter, quarter_range


def test_parse_and_format() -> None:
    assert str(Quarter.parse("2023Q3")) == "2023Q3"
    assert Quarter.parse("2023-q4") == Quarter(2023, 4)
    assert parse_quarter("2023-08-24") == Quarter(2023, 3)
    assert parse_date("2024Q2") == dt.date(2024, 4, 1)
    assert parse_date(dt.date(2023, 8, 24)) == dt.date(2023, 8, 24)
    with pytest.raises(ValueError, match="not a date"):
        parse_date("August 2023")


def test_range_and_arithmetic() -> None:
    quarters = quarter_range(Quarter(2023, 3), Quarter(2024, 2))
    assert [str(q) for q in quarters] == ["2023Q3", "2023Q4", "2024Q1", "2024Q2"]
    assert Quarter(2024, 1) - Quarter(2023, 3) == 2
    assert Quarter(2023, 4) + 1 == Quarter(2024, 1)


def test_pro_rata_coverage_counts_days() -> None:
    q3 = Quarter(2023, 3)
    assert q3.days == 92
    # the seafood ban from 24 August covers 38 of the 92 days of 2023Q3
    assert covered_share(q3, dt.date(2023, 8, 24), None) == pytest.approx(38 / 92)
    assert covered_share(Quarter(2023, 4), dt.date(2023, 8, 24), None) == 1.0
    assert covered_share(Quarter(2023, 2), dt.date(2023, 8, 24), None) == 0.0
    assert covered_share(q3, dt.date(2023, 8, 1), dt.date(2023, 10, 1)) == pytest.approx(61 / 92)
