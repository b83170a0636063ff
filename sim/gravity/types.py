"""The gravity model's input types: its dataset and its policies, as plain records.

Kept apart from the readers (:mod:`sim.gravity.dataset`, :mod:`sim.gravity.scenario`) so
the policy arithmetic and the solver take them without importing a file reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.datatypes import Figure, Source
from sim.policytypes import GRAVITY, policy_keys

FloatArray = NDArray[np.float64]
CONSTANT = "constant"
GRAVITY_POLICY_KEYS: dict[str, tuple[str, ...]] = policy_keys(GRAVITY)


@dataclass(frozen=True)
class GravityDataset:
    """A structural-gravity baseline.

    Attributes
    ----------
    name, title, description, unit : str
    year : int
    regions : tuple of str
        Country codes, sorted.
    trade : ndarray, shape (n, n)
        Observed flows, origin by destination, intranational on the diagonal.
    output, expenditure : ndarray, shape (n,)
        Observed Y_i and E_j.
    covariates : dict
        Covariate name -> ndarray, shape (n, n).
    coefficients : dict
        Covariate name (and ``constant``) -> beta_k.
    sigma : float
    reference : str
        The reference importer (its price index is the numeraire).
    sources : dict
    figures : tuple of Figure
        The header's figures with their sources (the bilateral rows share one source).
    origin : str
    fingerprint : str
    """

    name: str
    title: str
    description: str
    unit: str
    year: int
    regions: tuple[str, ...]
    trade: FloatArray
    output: FloatArray
    expenditure: FloatArray
    covariates: dict[str, FloatArray]
    coefficients: dict[str, float]
    sigma: float
    reference: str
    sources: dict[str, Source]
    figures: tuple[Figure, ...]
    origin: str
    fingerprint: str

    @property
    def reference_index(self) -> int:
        """Position of the reference importer in :attr:`regions`."""
        return self.regions.index(self.reference)

    def costs(self, covariates: dict[str, FloatArray] | None = None) -> FloatArray:
        """Trade costs ``t^(1 - sigma) = exp(sum_k beta_k z_k)``, shape (n, n).

        Parameters
        ----------
        covariates : dict, optional
            Replacement covariates (defaults to the dataset's).
        """
        values = self.covariates if covariates is None else covariates
        n = len(self.regions)
        exponent = np.full((n, n), self.coefficients.get(CONSTANT, 0.0))
        for name, beta in self.coefficients.items():
            if name != CONSTANT:
                exponent = exponent + beta * values[name]
        return np.exp(exponent)


@dataclass(frozen=True)
class GravityPolicy:
    """One policy of a gravity scenario, in force in the counterfactual.

    Attributes
    ----------
    id, type : str
    exporters, importers : tuple of str
        The pairs it applies to (never intranational pairs).
    variable : str
        ``covariate``: the cost covariate set to ``value``.
    value : float
    cost : float
        ``trade_cost``: ad valorem cost added (t' = t (1 + cost)).
    rate, increase : float or None
        ``tariff``: new ad valorem rate (the dataset has none in the baseline) or points added.
    coverage : float
        ``ban``: share of the flow's varieties removed (1: the whole flow).
    """

    id: str
    type: str
    exporters: tuple[str, ...]
    importers: tuple[str, ...]
    variable: str = ""
    value: float = 0.0
    cost: float = 0.0
    rate: float | None = None
    increase: float | None = None
    coverage: float = 1.0
    description: str = ""
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain representation with the fields of its type."""
        out: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "exporters": list(self.exporters),
            "importers": list(self.importers),
        }
        for key in GRAVITY_POLICY_KEYS[self.type]:
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.description:
            out["description"] = self.description
        if self.source:
            out["source"] = self.source
        return out
