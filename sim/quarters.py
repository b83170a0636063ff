"""Calendar quarters: parsing ``2023Q3`` and dates, ranges, and pro-rata coverage.

A quarter is identified by ``(year, quarter)``. A dated interval covers a quarter pro rata
by days: a ban from 2023-08-24 covers 38 of the 92 days of 2023Q3.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import total_ordering

_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)


@total_ordering
@dataclass(frozen=True)
class Quarter:
    """A calendar quarter such as 2023Q3."""

    year: int
    quarter: int

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise ValueError(f"quarter must be 1 to 4, got {self.quarter}")

    def __str__(self) -> str:
        return f"{self.year}Q{self.quarter}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Quarter):
            return NotImplemented
        return (self.year, self.quarter) < (other.year, other.quarter)

    @property
    def index(self) -> int:
        """Quarters since year 0, so that differences count quarters."""
        return self.year * 4 + self.quarter - 1

    @classmethod
    def from_index(cls, index: int) -> Quarter:
        """Inverse of :attr:`index`."""
        return cls(index // 4, index % 4 + 1)

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        """The quarter in which ``day`` falls."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse ``2023Q3`` (also ``2023-Q3``, ``2023q3``)."""
        match = _QUARTER.match(text.strip())
        if match is None:
            raise ValueError(f"'{text}' is not a quarter like 2023Q3")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def first_day(self) -> dt.date:
        """First day of the quarter."""
        return dt.date(self.year, 3 * self.quarter - 2, 1)

    @property
    def end_day(self) -> dt.date:
        """First day of the next quarter (exclusive end)."""
        return (self + 1).first_day

    @property
    def days(self) -> int:
        """Number of days in the quarter."""
        return (self.end_day - self.first_day).days

    def __add__(self, quarters: int) -> Quarter:
        return Quarter.from_index(self.index + quarters)

    def __sub__(self, other: Quarter) -> int:
        return self.index - other.index


def parse_date(value: object) -> dt.date:
    """Read a date given as an ISO date or as a quarter (its first day).

    Parameters
    ----------
    value : date or str
        ``2023-08-24``, a :class:`datetime.date`, or ``2023Q3`` (meaning 2023-07-01).

    Raises
    ------
    ValueError
        If the value is neither.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _QUARTER.match(text):
            return Quarter.parse(text).first_day
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"'{value}' is not a date (2023-08-24) or a quarter (2023Q3)")


def parse_quarter(value: object) -> Quarter:
    """Read a quarter given as ``2023Q3`` or as any date inside it."""
    return Quarter.containing(parse_date(value))


def quarter_range(first: Quarter, last: Quarter) -> list[Quarter]:
    """All quarters from ``first`` to ``last`` inclusive."""
    return [first + k for k in range(last - first + 1)]


def covered_share(quarter: Quarter, start: dt.date, end: dt.date | None) -> float:
    """Share of the days of ``quarter`` inside ``[start, end)``.

    Parameters
    ----------
    quarter : Quarter
    start : date
        First day the interval is in force.
    end : date or None
        First day it is no longer in force; None for open-ended.
    """
    lo = max(start, quarter.first_day)
    hi = quarter.end_day if end is None else min(end, quarter.end_day)
    return max((hi - lo).days, 0) / quarter.days


def midpoint(quarter: Quarter) -> dt.date:
    """Middle day of the quarter (used to age policy changes)."""
    return quarter.first_day + dt.timedelta(days=quarter.days // 2)
