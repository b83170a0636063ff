"""The 2023 seafood ban as a back-cast: observed outcomes against the history scenarios.

The observations (``sim/data/observations-2023.yaml``) are percent changes of a flow or of a
satellite region's price or volume over a window of days. The model's figure for each is
the change between the treated history (with the ban) and the untreated one (without it),
both solved by :func:`sim.run.run_scenario` exactly as ``tradesim run`` solves them.

A quarter in which a policy starts or ends is solved once per part (see
:class:`sim.timepath.Segment`), so a month's value is the day-weighted sum over the parts
it overlaps; no figure is interpolated.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim._yaml import Document, load_yaml
from sim.dataset import Dataset
from sim.errors import InputError
from sim.indicators import producer_sales, satellite_figures
from sim.model import FloatArray
from sim.run import RunResult, run_scenario
from sim.scenario import Scenario, load_scenario
from sim.tables import Table
from sim.timepath import PathSolution

OBSERVATIONS = Path(__file__).with_name("data") / "observations-2023.yaml"
MEASURES = ("flow_value", "satellite_price", "satellite_volume")
FIT_COLUMNS = (
    "id",
    "description",
    "first",
    "last",
    "observed_pct",
    "model_pct",
    "error_pt",
    "tolerance_pt",
    "reproduced",
)


@dataclass(frozen=True)
class Observation:
    """One observed percent change and where to find it in the model."""

    id: str
    description: str
    measure: str
    sector: str
    first: dt.date
    last: dt.date
    observed: float
    tolerance: float | None
    exporter: str | None = None
    importer: str | None = None
    satellite: str | None = None

    @property
    def days(self) -> tuple[dt.date, dt.date]:
        """The window as first day and the day after the last."""
        return self.first, self.last + dt.timedelta(days=1)


@dataclass(frozen=True)
class Observations:
    """The observed figures and the pair of scenarios that explains them."""

    treated: str
    untreated: str
    items: tuple[Observation, ...]


def load_observations(path: Path = OBSERVATIONS) -> Observations:
    """Read an observations file; bad entries are :class:`sim.errors.InputError`."""
    doc = load_yaml(path, what="observations file")
    data = doc.data if isinstance(doc.data, dict) else {}
    items = []
    for i, entry in enumerate(data.get("observations") or []):
        items.append(_observation(doc, i, entry))
    for key in ("treated", "untreated"):
        if not isinstance(data.get(key), str):
            raise doc.error((key,), "expected the name of a shipped scenario")
    return Observations(data["treated"], data["untreated"], tuple(items))


def _observation(doc: Document, i: int, entry: Any) -> Observation:
    where = ("observations", i)
    if not isinstance(entry, dict):
        raise doc.error(where, "expected a mapping")
    if entry.get("measure") not in MEASURES:
        raise doc.error((*where, "measure"), f"unknown measure; allowed: {', '.join(MEASURES)}")
    for key in ("first", "last"):
        if not isinstance(entry.get(key), dt.date):
            raise doc.error((*where, key), "expected an ISO date")
    if not isinstance(entry.get("source"), dict):
        raise doc.error((*where, "source"), "every observation needs a source")
    direction_only = bool(entry.get("direction_only", False))
    tolerance = None if direction_only else float(entry["tolerance"])
    return Observation(
        id=str(entry["id"]),
        description=str(entry["description"]),
        measure=entry["measure"],
        sector=str(entry["sector"]),
        first=entry["first"],
        last=entry["last"],
        observed=float(entry["observed"]),
        tolerance=tolerance,
        exporter=entry.get("exporter"),
        importer=entry.get("importer"),
        satellite=entry.get("satellite"),
    )


def _overlap(a: tuple[dt.date, dt.date], b: tuple[dt.date, dt.date]) -> int:
    return max(0, (min(a[1], b[1]) - max(a[0], b[0])).days)


def window_values(path: PathSolution, window: tuple[dt.date, dt.date]) -> FloatArray:
    """Bilateral values summed over a window of days, shape (sector, origin, destination).

    Each part of each quarter contributes its annual-rate value times the days it shares
    with the window, over 365.
    """
    total: FloatArray | None = None
    for period in path.scenario:
        for segment in period.segments:
            days = _overlap(segment.days, window)
            if days:
                value = period.segment_value(segment) * (days / 365.0)
                total = value if total is None else total + value
    if total is None:
        raise ValueError(f"the window {window[0]}..{window[1]} lies outside the path")
    return total


def _quarters_in(path: PathSolution, window: tuple[dt.date, dt.date]) -> list[int]:
    chosen = []
    for t, quarter in enumerate(path.quarters):
        days = _overlap((quarter.first_day, quarter.end_day), window)
        if days not in (0, quarter.days):
            raise ValueError(f"a satellite window must cover whole quarters, not part of {quarter}")
        if days:
            chosen.append(t)
    return chosen


def satellite_change(
    dataset: Dataset, treated: PathSolution, untreated: PathSolution, obs: Observation
) -> float:
    """Percent change of a satellite's price or volume over whole quarters.

    Quarterly revenues and volumes are summed over the window first, so the price is the
    window's average price (revenue over volume), as a fiscal-year average is.
    """
    labels = {f"{sat.region}.{sat.name}": sat for sat in dataset.satellites}
    satellite = labels[obs.satellite or ""]
    r = dataset.regions.index(satellite.region)
    s = [dataset.sector_index(part.sector) for part in satellite.parts]
    importers = {code: k for k, code in enumerate(dataset.regions)}
    revenue, volume = [], []
    for path in (treated, untreated):
        t = _quarters_in(path, obs.days)
        values = np.stack([producer_sales(path.scenario[i], s, r) for i in t], axis=1)
        output = path.baseline.output
        eta = np.stack([path.scenario[i].supply_response(output)[s, r] for i in t], axis=1)
        figures = satellite_figures(satellite, r, importers, dataset.flows[s, r], values, eta)
        revenue.append(figures.sales.sum())
        volume.append(figures.volume.sum())  # an index with a constant base: sums add up
    ratio = volume[0] / volume[1]
    if obs.measure == "satellite_price":
        ratio = (revenue[0] / revenue[1]) / ratio
    return 100.0 * (ratio - 1.0)


def model_change(
    dataset: Dataset, treated: PathSolution, untreated: PathSolution, obs: Observation
) -> float:
    """The model's percent change for one observation."""
    if obs.measure != "flow_value":
        return satellite_change(dataset, treated, untreated, obs)
    s = dataset.sectors.index(obs.sector)
    o = dataset.regions.index(obs.exporter or "")
    d = dataset.regions.index(obs.importer or "")
    with_ban = window_values(treated, obs.days)[s, o, d]
    without = window_values(untreated, obs.days)[s, o, d]
    return 100.0 * (with_ban / without - 1.0)


@dataclass(frozen=True)
class Fit:
    """An observation with the model's figure."""

    observation: Observation
    model: float

    @property
    def error(self) -> float:
        """Model minus observed, percentage points."""
        return self.model - self.observation.observed

    @property
    def reproduced(self) -> bool:
        """Within tolerance, or of the right sign where only the direction is checked."""
        tolerance = self.observation.tolerance
        if tolerance is None:
            return math.copysign(1.0, self.model) == math.copysign(1.0, self.observation.observed)
        return abs(self.error) <= tolerance


def backcast(
    scenarios: Path, observations: Observations | None = None
) -> tuple[list[Fit], RunResult, RunResult]:
    """Solve the treated and untreated histories and compare them with the observations.

    Parameters
    ----------
    scenarios : Path
        The folder holding the history scenarios.
    observations : Observations, optional
        Defaults to the packaged 2023 observations.

    Returns
    -------
    fits, treated run, untreated run
    """
    observations = observations or load_observations()
    pair = [
        load_scenario(scenarios / f"{name}.yaml")
        for name in (observations.treated, observations.untreated)
    ]
    for scenario in pair:
        _check_covers(scenario, observations)
    treated, untreated = (run_scenario(scenario) for scenario in pair)
    dataset = treated.scenario.dataset
    fits = [
        Fit(obs, model_change(dataset, treated.path, untreated.path, obs))
        for obs in observations.items
    ]
    return fits, treated, untreated


def _check_covers(scenario: Scenario, observations: Observations) -> None:
    """Refuse, before solving, a history whose horizon misses an observation's window.

    Raises
    ------
    InputError
        Naming the scenario file, its horizon and the first observation it misses.
    """
    first, end = scenario.start.first_day, scenario.end.end_day
    for obs in observations.items:
        window_first, window_end = obs.days
        if window_first < first or window_end > end:
            raise InputError(
                f"the horizon {scenario.start}-{scenario.end} does not cover observation "
                f"'{obs.id}' ({obs.first}..{obs.last}); the back-cast needs both histories "
                "to cover every observed window",
                path=scenario.path,
            )


def fit_table(fits: list[Fit]) -> Table:
    """The fit as a table (observed, model, error, tolerance)."""
    rows = [
        (
            f.observation.id,
            f.observation.description,
            f.observation.first.isoformat(),
            f.observation.last.isoformat(),
            f.observation.observed,
            f.model,
            f.error,
            math.nan if f.observation.tolerance is None else f.observation.tolerance,
            "yes" if f.reproduced else "no",
        )
        for f in fits
    ]
    return Table(FIT_COLUMNS, rows)


def month_windows(path: PathSolution) -> list[tuple[dt.date, dt.date]]:
    """Every calendar month a path covers, as (first day, first day of the next month)."""
    first, end = path.quarters[0].first_day, path.quarters[-1].end_day
    windows = []
    while first < end:
        following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        windows.append((first, following))
        first = following
    return windows


def monthly_change(
    treated: PathSolution, untreated: PathSolution, sector: int, origin: int, destination: int
) -> tuple[list[dt.date], FloatArray]:
    """Percent change of one flow, month by month, treated against untreated."""
    windows = month_windows(treated)
    change = [
        100.0
        * (
            window_values(treated, w)[sector, origin, destination]
            / window_values(untreated, w)[sector, origin, destination]
            - 1.0
        )
        for w in windows
    ]
    return [w[0] for w in windows], np.array(change)


def plot_backcast(
    fits: list[Fit], treated: RunResult, untreated: RunResult, destination: Path
) -> None:
    """Draw the monthly path of Japan's seafood exports and the fit of every figure.

    Needs matplotlib (the ``plot`` extra).
    """
    from sim.plot import pyplot

    plt = pyplot()
    dataset = treated.scenario.dataset
    s, jpn = dataset.sectors.index("seafood"), dataset.regions.index("JPN")
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2), width_ratios=(1.35, 1))
    for code, colour in (("CHN", "tab:red"), ("HKG", "tab:orange"), ("USA", "tab:blue")):
        months, change = monthly_change(
            treated.path, untreated.path, s, jpn, dataset.regions.index(code)
        )
        left.step(months, change, where="post", color=colour, label=f"model: Japan to {code}")
    for fit in fits:
        obs = fit.observation
        if (
            obs.measure == "flow_value"
            and obs.importer == "CHN"
            and obs.last - obs.first < dt.timedelta(days=120)
        ):
            left.hlines(obs.observed, obs.first, obs.days[1], color="black", linewidth=3)
    left.plot([], [], color="black", linewidth=3, label="observed (MAFF), Japan to CHN")
    left.axhline(0, color="grey", linewidth=0.8)
    left.set_xlim(dt.date(2023, 1, 1), dt.date(2025, 1, 1))
    left.set_ylabel("% change against the history without the ban")
    left.set_title("Japan's seafood exports, monthly: with ban vs without")
    left.legend(loc="center right", fontsize=9)
    left.grid(alpha=0.3)

    names = [f.observation.id for f in fits]
    y = np.arange(len(fits))
    right.barh(y + 0.2, [f.observation.observed for f in fits], 0.4, label="observed", color="0.3")
    right.barh(
        y - 0.2,
        [f.model for f in fits],
        0.4,
        label="model",
        color=["tab:green" if f.reproduced else "tab:red" for f in fits],
    )
    right.set_yticks(y, names, fontsize=9)
    right.invert_yaxis()
    right.axvline(0, color="grey", linewidth=0.8)
    right.set_xlabel("% change (model bar green: within tolerance, red: outside)")
    right.set_title("2023 observations against the model")
    right.legend(loc="lower left", fontsize=9)
    right.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(destination, dpi=110)
    plt.close(fig)
