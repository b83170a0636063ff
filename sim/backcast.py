"""The 2023 seafood ban as a back-cast: observed outcomes against the history scenarios.

The observations (``sim/data/observations-2023.yaml``) are figures of Japan's trade or of a
satellite region over a window of days: percent changes of a flow (summed over one or more
sectors and importers) or of a satellite's price or volume, a flow's share of the
exporter's exports, or a flow's value. A change is the model's change between the treated
history (with the ban) and the untreated one (without it); a share or a value is the
treated history's own. Both are solved by :func:`sim.run.run_scenario` exactly as
``tradesim run`` solves them.

A quarter in which a policy starts or ends is solved once per part (see
:class:`sim.timepath.Segment`), so a month's value is the day-weighted sum over the parts
it overlaps; no figure is interpolated.
"""

from __future__ import annotations

import datetime as dt
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
# measure -> the unit of its observed figure, error and tolerance
MEASURES = {
    "flow_value": "% change",
    "flow_share": "% of exports",
    "flow_level": "JPY bn",
    "satellite_price": "% change",
    "satellite_volume": "% change",
}
FIT_COLUMNS = (
    "id",
    "description",
    "first",
    "last",
    "unit",
    "observed",
    "model",
    "error",
    "tolerance",
    "reproduced",
)


@dataclass(frozen=True)
class Observation:
    """One observed figure, its tolerance and where to find it in the model.

    ``importers`` are summed (one region, or several for a total of exports), as are
    ``sectors`` (Japan's "marine products" are the seafood and scallops sectors).
    ``miss_reason`` says why the model is not expected to reproduce the figure; a row
    without one must be within its tolerance. ``fitted`` is false for a figure that holds
    what the model does not have (growth, a one-month timing): the fit of the choice
    parameters does not bend towards it.
    """

    id: str
    description: str
    measure: str
    sectors: tuple[str, ...]
    first: dt.date
    last: dt.date
    observed: float
    tolerance: float
    exporter: str | None = None
    importers: tuple[str, ...] = ()
    satellite: str | None = None
    miss_reason: str | None = None
    fitted: bool = True

    @property
    def unit(self) -> str:
        """The unit of the observed figure, the error and the tolerance."""
        return MEASURES[self.measure]

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
    for key in ("observed", "tolerance"):
        if isinstance(entry.get(key), bool) or not isinstance(entry.get(key), int | float):
            raise doc.error((*where, key), "expected a number")
    if entry["tolerance"] <= 0 or not isinstance(entry.get("tolerance_source"), str):
        raise doc.error(
            (*where, "tolerance"), "expected a positive tolerance with its tolerance_source"
        )
    sectors = _names(doc, (*where, "sectors"), entry.get("sectors"))
    importers = _names(doc, (*where, "importers"), entry.get("importers", []))
    if entry["measure"].startswith("flow") and not (importers and entry.get("exporter")):
        raise doc.error((*where, "importers"), "a flow needs an exporter and importers")
    reason = entry.get("miss_reason")
    fitted = entry.get("fitted", True)
    if not isinstance(fitted, bool) or (not fitted and reason is None):
        raise doc.error((*where, "fitted"), "expected true, or false with a miss_reason")
    return Observation(
        id=str(entry["id"]),
        description=str(entry["description"]),
        measure=entry["measure"],
        sectors=sectors,
        first=entry["first"],
        last=entry["last"],
        observed=float(entry["observed"]),
        tolerance=float(entry["tolerance"]),
        exporter=entry.get("exporter"),
        importers=importers,
        satellite=entry.get("satellite"),
        miss_reason=None if reason is None else str(reason),
        fitted=fitted,
    )


def _names(doc: Document, where: tuple[Any, ...], value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise doc.error(where, "expected a list of names")
    return tuple(value)


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
    if {dataset.sectors[i] for i in s} != set(obs.sectors):
        raise ValueError(f"observation '{obs.id}': its sectors are not those of {obs.satellite}")
    importers = {code: k for k, code in enumerate(dataset.regions)}
    revenue, volume = [], []
    for path in (treated, untreated):
        t = _quarters_in(path, obs.days)
        values = np.stack([producer_sales(path.scenario[i], s, r) for i in t], axis=1)
        output = path.baseline.output[s, r, None]
        supply = np.stack([path.scenario[i].supply[s, r] for i in t], axis=1) / output
        figures = satellite_figures(satellite, r, importers, dataset.flows[s, r], values, supply)
        revenue.append(figures.sales.sum())
        volume.append(figures.volume.sum())  # an index with a constant base: sums add up
    ratio = volume[0] / volume[1]
    if obs.measure == "satellite_price":
        ratio = (revenue[0] / revenue[1]) / ratio
    return 100.0 * (ratio - 1.0)


def model_change(
    dataset: Dataset, treated: PathSolution, untreated: PathSolution, obs: Observation
) -> float:
    """The model's figure for one observation, in the observation's unit."""
    if obs.measure.startswith("satellite"):
        return satellite_change(dataset, treated, untreated, obs)
    s = [dataset.sectors.index(name) for name in obs.sectors]
    o = dataset.regions.index(obs.exporter or "")
    d = [dataset.regions.index(code) for code in obs.importers]
    with_ban = window_values(treated, obs.days)[s][:, o]
    if obs.measure == "flow_level":
        return float(with_ban[:, d].sum())
    if obs.measure == "flow_share":
        abroad = [k for k in range(len(dataset.regions)) if k != o]
        return float(100.0 * with_ban[:, d].sum() / with_ban[:, abroad].sum())
    without = window_values(untreated, obs.days)[s][:, o]
    return float(100.0 * (with_ban[:, d].sum() / without[:, d].sum() - 1.0))


@dataclass(frozen=True)
class Fit:
    """An observation with the model's figure."""

    observation: Observation
    model: float

    @property
    def error(self) -> float:
        """Model minus observed, in the observation's unit."""
        return self.model - self.observation.observed

    @property
    def reproduced(self) -> bool:
        """Whether the model is within the observation's tolerance."""
        return abs(self.error) <= self.observation.tolerance


def backcast(
    scenarios: Path,
    observations: Observations | None = None,
    values: dict[str, float] | None = None,
) -> tuple[list[Fit], RunResult, RunResult]:
    """Solve the treated and untreated histories and compare them with the observations.

    Parameters
    ----------
    scenarios : Path
        The folder holding the history scenarios.
    observations : Observations, optional
        Defaults to the packaged 2023 observations.
    values : dict, optional
        Parameters set in both histories (keys as in a scenario's ``uncertainty`` block,
        see :meth:`sim.scenario.Scenario.with_values`), as the fit of the choice
        parameters tries them; a policy only one history has is set in that one.

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
    if values:
        pair = [scenario.with_values(values) for scenario in pair]
    treated, untreated = (run_scenario(scenario) for scenario in pair)
    dataset = treated.scenario.dataset
    fits = [
        Fit(obs, model_change(dataset, treated.path, untreated.path, obs))
        for obs in observations.items
    ]
    return fits, treated, untreated


def loss(fits: list[Fit]) -> float:
    """Sum of squared errors, in tolerances, over the fitted rows.

    A row with ``fitted: false`` holds what the model does not have; the fit must not bend
    the parameters towards it.
    """
    return sum((f.error / f.observation.tolerance) ** 2 for f in fits if f.observation.fitted)


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
            f.observation.unit,
            f.observation.observed,
            f.model,
            f.error,
            f.observation.tolerance,
            "yes" if f.reproduced else ("no (explained)" if f.observation.miss_reason else "no"),
        )
        for f in fits
    ]
    return Table(FIT_COLUMNS, rows)


PRINTED_FIT_COLUMNS = (
    "observation",
    "period",
    "unit",
    "observed",
    "model",
    "error",
    "tol.",
    "reproduced",
)


def fit_rows(fits: list[Fit]) -> list[list[Any]]:
    """The fit as table rows, one per observation, in the order of :data:`PRINTED_FIT_COLUMNS`.

    A row outside its tolerance reads "no (explained)" when its miss has a stated reason.
    """
    rows: list[list[Any]] = []
    for fit in fits:
        obs = fit.observation
        verdict = "yes" if fit.reproduced else "no"
        if not fit.reproduced and obs.miss_reason:
            verdict = "no (explained)"
        period = f"{obs.first.isoformat()}..{obs.last.isoformat()}"
        rows.append(
            [obs.id, period, obs.unit, obs.observed, fit.model, fit.error, obs.tolerance, verdict]
        )
    return rows


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
    treated: PathSolution,
    untreated: PathSolution,
    sectors: list[int],
    origin: int,
    destination: int,
) -> tuple[list[dt.date], FloatArray]:
    """Percent change of one flow summed over sectors, month by month, treated against untreated."""
    windows = month_windows(treated)
    change = [
        100.0
        * (
            window_values(treated, w)[sectors, origin, destination].sum()
            / window_values(untreated, w)[sectors, origin, destination].sum()
            - 1.0
        )
        for w in windows
    ]
    return [w[0] for w in windows], np.array(change)


def plot_backcast(
    fits: list[Fit], treated: RunResult, untreated: RunResult, destination: Path
) -> None:
    """Draw the monthly path of Japan's marine exports and the fit of every figure.

    Needs matplotlib (the ``plot`` extra).
    """
    from sim.plot import pyplot

    plt = pyplot()
    dataset = treated.scenario.dataset
    s = [dataset.sectors.index(name) for name in ("seafood", "scallops")]
    jpn = dataset.regions.index("JPN")
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2), width_ratios=(1.35, 1))
    colours = {"CHN": "tab:red", "HKG": "tab:orange", "USA": "tab:blue"}
    for code, colour in colours.items():
        months, change = monthly_change(
            treated.path, untreated.path, s, jpn, dataset.regions.index(code)
        )
        left.step(months, change, where="post", color=colour, label=f"model: Japan to {code}")
    for fit in fits:
        obs = fit.observation
        marked = colours.get(obs.importers[0] if len(obs.importers) == 1 else "")
        if (
            marked
            and obs.measure == "flow_value"
            and set(obs.sectors) == {"seafood", "scallops"}
            and obs.last - obs.first < dt.timedelta(days=120)
        ):
            left.hlines(obs.observed, obs.first, obs.days[1], color=marked, linewidth=4)
            left.hlines(obs.observed, obs.first, obs.days[1], color="black", linewidth=1)
    left.plot([], [], color="black", linewidth=3, label="observed (MAFF), same colours")
    left.axhline(0, color="grey", linewidth=0.8)
    left.set_xlim(dt.date(2023, 1, 1), dt.date(2025, 1, 1))
    left.set_ylabel("% change against the history without the ban")
    left.set_title("Japan's marine exports, monthly: with ban vs without")
    left.legend(loc="center right", fontsize=9)
    left.grid(alpha=0.3)

    # Rows have different units (percent changes, shares, JPY bn): each error is drawn in
    # its own tolerances, so every row is within it when its bar stays inside the band.
    names = [
        f"{f.observation.id} ({f.observation.observed:+g} obs, {f.model:+.1f} model)" for f in fits
    ]
    y = np.arange(len(fits))
    scaled = np.clip([f.error / f.observation.tolerance for f in fits], -4, 4)
    right.axvspan(-1, 1, color="tab:green", alpha=0.12, label="within tolerance")
    right.barh(
        y,
        scaled,
        0.6,
        color=[
            "tab:green" if f.reproduced else ("0.6" if f.observation.miss_reason else "tab:red")
            for f in fits
        ],
    )
    right.set_yticks(y, names, fontsize=8)
    right.invert_yaxis()
    right.axvline(0, color="grey", linewidth=0.8)
    right.set_xlim(-4.2, 4.2)
    right.set_xlabel("error in tolerances (clipped at 4; grey: explained miss)")
    right.set_title("2023 observations against the model")
    right.legend(loc="lower left", fontsize=9)
    right.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(destination, dpi=110)
    plt.close(fig)
