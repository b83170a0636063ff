"""Synthetic structural-gravity samples of any size (for benchmarks and scale tests).

Countries get random locations on a plane, sizes from a log-normal distribution and
trade imbalances of a few percent; covariates follow the gegravity sample's (log distance,
contiguity, common language, trade agreements, international border) and trade is the
gravity prediction with multiplicative noise. Deterministic for a given seed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
# gegravity's PPML estimates on its own sample (sim/data/gegravity-sample-2006.yaml).
COEFFICIENTS = {
    "lndist": -0.3898623,
    "contiguity": 0.891577,
    "common_language": 0.0326249,
    "pta": 0.4711383,
    "international": -3.412584,
    "constant": 16.32434,
}


@dataclass(frozen=True)
class SyntheticSample:
    """A synthetic gravity sample.

    Attributes
    ----------
    regions : tuple of str
        ``C000``, ``C001``, ...
    trade : ndarray, shape (n, n)
    output, expenditure : ndarray, shape (n,)
    covariates : dict
        Name -> ndarray, shape (n, n).
    """

    regions: tuple[str, ...]
    trade: FloatArray
    output: FloatArray
    expenditure: FloatArray
    covariates: dict[str, FloatArray]

    def costs(self) -> FloatArray:
        """``t^(1 - sigma) = exp(sum_k beta_k z_k)`` with :data:`COEFFICIENTS`."""
        exponent = np.full(self.trade.shape, COEFFICIENTS["constant"])
        for name, values in self.covariates.items():
            exponent = exponent + COEFFICIENTS[name] * values
        return np.exp(exponent)

    def to_csv(self, year: int = 2006) -> str:
        """The sample in the bilateral CSV format of gravity datasets."""
        names = sorted(self.covariates)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["exporter", "importer", "year", "trade", "Y", "E", *names])
        n = len(self.regions)
        for i in range(n):
            for j in range(n):
                writer.writerow(
                    [
                        self.regions[i],
                        self.regions[j],
                        year,
                        f"{self.trade[i, j]:.6g}",
                        f"{self.output[i]:.10g}",
                        f"{self.expenditure[j]:.10g}",
                        *(f"{self.covariates[c][i, j]:.6g}" for c in names),
                    ]
                )
        return buffer.getvalue()


def synthetic_sample(n: int, seed: int = 0) -> SyntheticSample:
    """Draw a synthetic sample of ``n`` countries.

    Parameters
    ----------
    n : int
        Number of countries (at least 2).
    seed : int
        Seed of :func:`numpy.random.default_rng`.
    """
    rng = np.random.default_rng(seed)
    location = rng.uniform(0.0, 100.0, size=(n, 2))
    distance = np.sqrt(((location[:, None, :] - location[None, :, :]) ** 2).sum(axis=2))
    internal = rng.uniform(0.2, 1.0, size=n)
    np.fill_diagonal(distance, internal)
    international = 1.0 - np.eye(n)
    contiguity = ((distance < 6.0) & (international > 0)).astype(float)
    language = rng.integers(0, 12, size=n)
    common_language = (language[:, None] == language[None, :]).astype(float)
    bloc = rng.integers(0, 20, size=n)
    pta = ((bloc[:, None] == bloc[None, :]) & (international > 0)).astype(float)
    covariates = {
        "lndist": np.log(distance * 100.0),
        "contiguity": contiguity,
        "common_language": common_language,
        "pta": pta,
        "international": international,
    }
    output = np.exp(rng.normal(11.0, 1.5, size=n))
    expenditure = output * (1.0 + rng.normal(0.0, 0.04, size=n))
    regions = tuple(f"C{k:03d}" for k in range(n))
    sample = SyntheticSample(regions, np.zeros((n, n)), output, expenditure, covariates)
    costs = sample.costs()
    weights = costs * output[:, None] * expenditure[None, :]
    trade = weights / weights.sum() * output.sum() * np.exp(rng.normal(0.0, 0.5, size=(n, n)))
    return SyntheticSample(regions, trade, output, expenditure, covariates)
