"""Synthetic datasets of any size, for scale tests and benchmarks.

``tradesim synth --regions R --sectors S --seed N -o FILE`` writes ``FILE`` (the dataset
YAML) and ``FILE``'s stem + ``.flows.csv`` (its flows in the compact ``matrix`` layout of
:mod:`sim.flowfile`). The numbers are made up, not estimated: the dataset has one source,
an assumption that says so and states the generator's assumptions and seed. The same
``(regions, sectors, seed)`` always gives the same bytes.

Assumptions of the generator (also written into the dataset's source):

- GDP is log-normal (median 500, log-sd 1.5) in the made-up unit ``USD bn``.
- A sector's world output is a Dirichlet share of 40% of world GDP.
- Flows follow a gravity pattern: ``m_ij ~ Y_i E_j / d_ij`` with regions placed uniformly
  on the unit square, ``d_ij`` their distance plus 0.1, home sales weighted up 20-fold,
  times a log-normal noise (log-sd 0.5); about 5% of cross-border flows are zero.
- ``sigma`` short run 1.2-2.5 and long run 2-8; ``eps`` 0.3-1.2; ``eta`` short run 0.2-1
  and long run 1-4; half-lives of 1-4 quarters; all uniform per sector.
- MFN tariffs of 0-15% on imports of a sector in about a third of the importers.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.model import FloatArray

SOURCE_ID = "synthetic"
GDP_MEDIAN = 500.0
OUTPUT_SHARE_OF_GDP = 0.4
HOME_BIAS = 20.0
ZERO_SHARE = 0.05


@dataclass(frozen=True)
class Synthetic:
    """A generated dataset before it is written.

    Attributes
    ----------
    regions, sectors : tuple of str
    gdp : ndarray, shape (region,)
    flows : ndarray, shape (sector, origin, destination)
    tariffs : ndarray, shape (sector, destination)
        MFN rate of each importer on each sector (0 where none).
    elasticities : dict
        ``sigma``, ``eps``, ``eta`` -> ndarray shape (2, sector): short and long run.
    half_life : ndarray, shape (sector,)
    """

    seed: int
    regions: tuple[str, ...]
    sectors: tuple[str, ...]
    gdp: FloatArray
    flows: FloatArray
    tariffs: FloatArray
    elasticities: dict[str, FloatArray]
    half_life: FloatArray


def region_codes(n: int) -> tuple[str, ...]:
    """Region codes ``R001``, ``R002``, ... (at least three digits)."""
    width = max(3, len(str(n)))
    return tuple(f"R{k + 1:0{width}d}" for k in range(n))


def sector_codes(n: int) -> tuple[str, ...]:
    """Sector codes ``s01``, ``s02``, ... (at least two digits)."""
    width = max(2, len(str(n)))
    return tuple(f"s{k + 1:0{width}d}" for k in range(n))


def generate(regions: int, sectors: int, seed: int) -> Synthetic:
    """Draw a synthetic dataset.

    Parameters
    ----------
    regions : int
        Number of regions (at least 2).
    sectors : int
        Number of sectors (at least 1).
    seed : int
        Seed of :class:`numpy.random.SeedSequence`; the same seed gives the same dataset.

    Returns
    -------
    Synthetic
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    gdp = np.round(GDP_MEDIAN * np.exp(1.5 * rng.standard_normal(regions)), 3) + 1.0
    share = rng.dirichlet(np.ones(sectors))
    place = rng.uniform(size=(regions, 2))
    distance = np.sqrt(((place[:, None, :] - place[None, :, :]) ** 2).sum(axis=2)) + 0.1
    pull = gdp[:, None] * gdp[None, :] / distance
    pull = pull * np.where(np.eye(regions, dtype=bool), HOME_BIAS, 1.0)
    noise = np.exp(0.5 * rng.standard_normal((sectors, regions, regions)))
    raw = pull[None, :, :] * noise
    zero = (rng.uniform(size=raw.shape) < ZERO_SHARE) & ~np.eye(regions, dtype=bool)[None]
    raw = np.where(zero, 0.0, raw)
    scale = OUTPUT_SHARE_OF_GDP * gdp.sum() * share / raw.sum(axis=(1, 2))
    flows = np.round(raw * scale[:, None, None], 6)
    covered = rng.uniform(size=(sectors, regions)) < 1.0 / 3.0
    tariffs = np.where(covered, np.round(rng.uniform(0.0, 0.15, (sectors, regions)), 3), 0.0)
    elasticities = {
        "sigma": np.array([rng.uniform(1.2, 2.5, sectors), rng.uniform(2.0, 8.0, sectors)]),
        "eps": np.array([rng.uniform(0.3, 0.8, sectors), rng.uniform(0.6, 1.2, sectors)]),
        "eta": np.array([rng.uniform(0.2, 1.0, sectors), rng.uniform(1.0, 4.0, sectors)]),
    }
    elasticities = {k: np.round(v, 3) for k, v in elasticities.items()}
    half_life = rng.integers(1, 5, sectors).astype(float)
    return Synthetic(
        seed,
        region_codes(regions),
        sector_codes(sectors),
        gdp,
        flows,
        tariffs,
        elasticities,
        half_life,
    )


def flows_path(path: Path) -> Path:
    """The flow file written beside dataset ``path``: ``<stem>.flows.csv``."""
    return path.with_name(f"{path.stem}.flows.csv")


def dataset_yaml(data: Synthetic, flows_file: str) -> str:
    """The dataset YAML of a synthetic dataset whose flows are in ``flows_file``."""
    n_r, n_s = len(data.regions), len(data.sectors)
    out = io.StringIO()
    out.write(
        f"# Synthetic dataset: {n_r} regions x {n_s} sectors, seed {data.seed}.\n"
        f"# Written by `tradesim synth --regions {n_r} --sectors {n_s} --seed {data.seed}`.\n"
        f"name: synthetic-{n_r}x{n_s}-seed{data.seed}\n"
        f"title: Synthetic dataset of {n_r} regions and {n_s} sectors (seed {data.seed})\n"
        "description: >\n"
        "  Made-up numbers for testing and benchmarking the model at scale; not an estimate\n"
        "  of any economy.\n"
        "year: 2022\n"
        "unit: USD bn\n"
        "sources:\n"
        f"  {SOURCE_ID}:\n"
        "    kind: assumption\n"
        "    reason: >\n"
        f"      Synthetic data generated by tradesim synth with seed {data.seed}, not\n"
        "      observations. Log-normal GDP; sector outputs a Dirichlet share of 40% of world\n"
        "      GDP; gravity flows proportional to GDP_i GDP_j / distance on the unit square,\n"
        "      home sales weighted 20-fold, log-normal noise, 5% of cross-border flows zero;\n"
        "      sigma 1.2-2.5 short and 2-8 long run, eps 0.3-1.2, eta 0.2-1 short and 1-4 long\n"
        "      run, half-lives 1-4 quarters, MFN tariffs 0-15% in a third of the importers.\n"
        "regions:\n"
    )
    for code, gdp in zip(data.regions, data.gdp, strict=True):
        out.write(f"  - {{code: {code}, gdp: {gdp:.3f}, source: {SOURCE_ID}}}\n")
    out.write("sectors:\n")
    for s, code in enumerate(data.sectors):
        out.write(f"  - code: {code}\n")
        for name, values in data.elasticities.items():
            out.write(
                f"    {name}: {{short_run: {values[0, s]:.3f}, long_run: {values[1, s]:.3f}, "
                f"source: {SOURCE_ID}}}\n"
            )
        out.write(
            f"    half_life_quarters: {{value: {data.half_life[s]:.0f}, source: {SOURCE_ID}}}\n"
        )
    out.write(f"flows: {{file: {flows_file}, layout: matrix, source: {SOURCE_ID}}}\n")
    rows = np.argwhere(data.tariffs > 0)
    if len(rows):
        out.write("tariffs:  # MFN rates; the second row of each pair keeps home sales free\n")
        for s, j in rows:
            sector, importer = data.sectors[s], data.regions[j]
            out.write(
                f'  - [{sector}, "*", {importer}, {data.tariffs[s, j]:.3f}, {SOURCE_ID}]\n'
                f"  - [{sector}, {importer}, {importer}, 0, {SOURCE_ID}]\n"
            )
    return out.getvalue()


def flows_csv(data: Synthetic) -> str:
    """The flows in the ``matrix`` layout (one line per sector and exporter)."""
    n_s, n_r = len(data.sectors), len(data.regions)
    labels = np.array(
        [f"{sector},{region}" for sector in data.sectors for region in data.regions], dtype=object
    )
    out = io.StringIO()
    out.write("sector,exporter," + ",".join(data.regions) + "\n")
    body = data.flows.reshape(n_s * n_r, n_r)
    text = np.char.mod("%.6f", body)
    for label, row in zip(labels, text, strict=True):
        out.write(label + "," + ",".join(row) + "\n")
    return out.getvalue()


def write_synthetic(path: Path, regions: int, sectors: int, seed: int) -> tuple[Path, Path]:
    """Generate a dataset and write its YAML to ``path`` and its flows beside it.

    Returns
    -------
    (Path, Path)
        The dataset file and the flow file.
    """
    from sim.files import file_filler, publish

    data = generate(regions, sectors, seed)
    flows = flows_path(path)
    # both files or neither: an old pair is never left half replaced
    publish(
        [
            (flows, file_filler(flows_csv(data).encode("utf-8"))),
            (path, file_filler(dataset_yaml(data, flows.name).encode("utf-8"))),
        ]
    )
    return path, flows
