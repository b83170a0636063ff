"""Scenarios of the structural-gravity model (``model: gravity``).

They share the scenario language of the partial-equilibrium model (``extends``, policy ids,
region lists, file:line:col errors) with what a static one-sector model needs: a
``gravity`` block (``closure``, optional ``sigma``) and the policies ``covariate``,
``trade_cost``, ``tariff`` and ``ban``, all in force in the counterfactual (a static model
has no dates, so ``start``, ``end`` and ``phase_in`` are refused).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sim.errors import InputError, InputErrors
from sim.gravity.dataset import GravityDataset, load_gravity_dataset
from sim.gravity.solve import CLOSURES
from sim.gravity.types import GRAVITY_POLICY_KEYS as GRAVITY_POLICY_KEYS
from sim.gravity.types import GravityPolicy as GravityPolicy
from sim.policytypes import GRAVITY, common_keys
from sim.uncertainty import Distribution

if TYPE_CHECKING:
    from sim._yaml import Document
    from sim.scenario import _Located

GRAVITY_POLICY_TYPES = tuple(GRAVITY_POLICY_KEYS)
COMMON_KEYS = common_keys(GRAVITY)
GRAVITY_BLOCK_KEYS = ("closure", "sigma")
NOT_FOR_GRAVITY = {
    "start": "a gravity scenario is static (the data year); remove 'start'",
    "end": "a gravity scenario is static (the data year); remove 'end'",
    "parameters": "a gravity scenario sets sigma in its 'gravity' block, not in 'parameters'",
    "demand_growth": "a gravity scenario has no demand growth; remove 'demand_growth'",
}
UNCERTAINTY_FORMS = "sigma, cost_coefficients.NAME or policies.ID.FIELD"


@dataclass(frozen=True)
class GravityScenario:
    """A resolved structural-gravity scenario.

    Attributes
    ----------
    name, description : str
    path : Path
    files : tuple of Path
    dataset : GravityDataset
    policies : tuple of GravityPolicy
    closure : str
        ``exact``, ``fixed-deficits`` or ``gegravity-compatible``.
    sigma : float
        The dataset's unless the ``gravity`` block overrides it.
    """

    # the registered model that runs it (sim.models)
    registered_model: ClassVar[str] = "structural-gravity"

    name: str
    description: str
    path: Path
    files: tuple[Path, ...]
    dataset: GravityDataset
    policies: tuple[GravityPolicy, ...]
    closure: str
    sigma: float
    uncertainty: dict[str, Distribution] = field(default_factory=dict)
    model: str = "gravity"

    def with_values(self, values: dict[str, float]) -> GravityScenario:
        """The scenario with some parameters set (keys as in ``uncertainty``).

        Parameters
        ----------
        values : dict
            ``sigma``, ``cost_coefficients.NAME`` or ``policies.ID.FIELD`` -> value.
        """
        sigma = self.sigma
        coefficients = dict(self.dataset.coefficients)
        changed: dict[str, dict[str, Any]] = {}
        for key, value in values.items():
            if key == "sigma":
                sigma = value
            elif key.startswith("cost_coefficients."):
                coefficients[key.split(".", 1)[1]] = value
            else:
                policy_id, name = key[len("policies.") :].rsplit(".", 1)
                changed.setdefault(policy_id, {})[name] = value
        policies = tuple(
            replace(p, **changed[p.id]) if p.id in changed else p for p in self.policies
        )
        dataset = replace(self.dataset, coefficients=coefficients)
        return replace(self, sigma=sigma, dataset=dataset, policies=policies)

    @property
    def start(self) -> str:
        """The data year (a static model has one period)."""
        return str(self.dataset.year)

    @property
    def end(self) -> str:
        """The data year."""
        return str(self.dataset.year)

    def to_dict(self) -> dict[str, Any]:
        """The resolved scenario as plain data (what ``run.json`` records)."""
        out = {
            "name": self.name,
            "description": self.description,
            "model": "gravity",
            "dataset": self.dataset.name,
            "gravity": {"closure": self.closure, "sigma": self.sigma},
            "policies": [policy.to_dict() for policy in self.policies],
        }
        if self.uncertainty:
            out["uncertainty"] = {
                key: {"dist": d.dist, **dict(d.params)} for key, d in self.uncertainty.items()
            }
        return out

    def fingerprint(self) -> str:
        """SHA-256 of the resolved scenario and its dataset files."""
        text = json.dumps(self.to_dict(), sort_keys=True) + self.dataset.fingerprint
        return hashlib.sha256(text.encode()).hexdigest()


def gravity_scenario(
    path: Path, chain: list[Document], merged: dict[str, Any], name: str
) -> GravityScenario:
    """Resolve a merged ``model: gravity`` scenario (called by :func:`sim.scenario.load_scenario`).

    Raises
    ------
    InputError
        With file, line, column and field of the problem.
    """
    from sim.scenario import _text

    leaf = chain[-1]
    for doc in chain:
        for key, message in NOT_FOR_GRAVITY.items():
            if doc.data.get(key) not in (None, {}, []):
                raise doc.error((key,), message, at_key=True)
    spec = merged.get("dataset")
    if spec is None:
        raise leaf.error((), "a gravity scenario needs 'dataset' (e.g. gegravity-sample-2006)")
    if not isinstance(spec.value, str):
        raise spec.error("dataset must be a packaged dataset name or a file path")
    try:
        dataset = load_gravity_dataset(spec.value, relative_to=spec.doc.path.parent)
    except InputError as exc:
        if exc.path is None:
            raise spec.error(exc.message) from None
        raise
    closure, sigma = _gravity_block(merged.get("gravity", {}), dataset)
    errors: list[InputError] = []
    policies = []
    for policy_id, fields in merged["policies"].items():
        try:
            policies.append(_policy(policy_id, fields, dataset))
        except InputErrors as problems:
            errors.extend(problems.errors)
        except InputError as problem:
            errors.append(problem)
    uncertainty = {} if errors else _uncertainty(merged, dataset, policies, errors)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InputErrors(errors)
    return GravityScenario(
        name=name,
        description=_text(merged.get("description"), default=""),
        path=path,
        files=tuple(doc.path for doc in chain),
        dataset=dataset,
        policies=tuple(policies),
        closure=closure,
        sigma=sigma,
        uncertainty=uncertainty,
    )


def _uncertainty(
    merged: dict[str, Any],
    dataset: GravityDataset,
    policies: list[GravityPolicy],
    errors: list[InputError],
) -> dict[str, Distribution]:
    """The checked ``uncertainty`` block; problems are added to ``errors``."""
    from sim.scenario import _distribution

    scope = _Scope(dataset, {p.id: p for p in policies})
    out = {}
    for key in sorted(merged["uncertainty"]):
        try:
            out[key] = _distribution(key, merged["uncertainty"][key], scope)
        except InputError as problem:
            errors.append(problem)
    return out


@dataclass(frozen=True)
class _Scope:
    """What the keys of a gravity scenario's ``uncertainty`` block may refer to."""

    dataset: GravityDataset
    policies: dict[str, GravityPolicy]

    def range_of(self, key: str) -> tuple[float, float, bool] | str:
        """The allowed range of a parameter, or why the key names none."""
        if key == "sigma":
            return (1.0, 100.0, True)
        if key.startswith("cost_coefficients."):
            name = key.split(".", 1)[1]
            if name not in self.dataset.coefficients:
                known = ", ".join(self.dataset.coefficients)
                return f"unknown cost coefficient '{name}'; known: {known}"
            return (-math.inf, math.inf, False)
        if key.startswith("policies.") and key.count(".") >= 2:
            policy_id, name = key[len("policies.") :].rsplit(".", 1)
            if policy_id not in self.policies:
                known = ", ".join(self.policies) or "none"
                return f"unknown policy id '{policy_id}'; policies: {known}"
            from sim.scenario import drawable_range

            return drawable_range(self.policies[policy_id], name, GRAVITY)
        return f"unknown parameter '{key}'; expected {UNCERTAINTY_FORMS}"


def _gravity_block(block: dict[str, Any], dataset: GravityDataset) -> tuple[str, float]:
    """Closure and sigma from the ``gravity`` block."""
    from sim.scenario import _number

    closure = "exact"
    if "closure" in block:
        located = block["closure"]
        if located.value not in CLOSURES:
            raise located.error(
                f"unknown closure {located.value!r}; allowed: {', '.join(CLOSURES)}"
            )
        closure = located.value
    sigma = dataset.sigma
    if "sigma" in block:
        sigma = _number(block["sigma"], low=1.0 + 1e-9, high=100.0)
    return closure, sigma


def _policy(policy_id: str, fields: dict[str, _Located], dataset: GravityDataset) -> GravityPolicy:
    from sim.scenario import _regions, _text, _unknown_key

    first = next(iter(fields.values()))
    if "type" not in fields:
        raise first.doc.error(
            first.where[:-1],
            f"policy '{policy_id}': missing required field 'type'; "
            f"allowed: {', '.join(GRAVITY_POLICY_TYPES)}",
        )
    kind = fields["type"].value
    if kind not in GRAVITY_POLICY_KEYS:
        raise fields["type"].error(
            f"policy type {kind!r} does not apply to the gravity model; "
            f"allowed: {', '.join(GRAVITY_POLICY_TYPES)}"
        )
    allowed = (*COMMON_KEYS, *GRAVITY_POLICY_KEYS[kind])
    for key, located in fields.items():
        if key in ("start", "end", "phase_in"):
            raise located.error(
                f"a gravity scenario is static: its policies are in force in the "
                f"counterfactual; remove '{key}'",
                at_key=True,
            )
        if key == "sector":
            raise located.error(
                "the gravity model has one sector (all goods); remove 'sector'", at_key=True
            )
        if key not in allowed:
            raise _unknown_key(located.doc, located.where[:-1], key, allowed)
    for key in ("exporters", "importers"):
        if key not in fields:
            raise first.doc.error(
                first.where[:-1], f"policy '{policy_id}': missing required field '{key}'"
            )
    values = _policy_values(kind, fields, dataset)
    return GravityPolicy(
        id=policy_id,
        type=kind,
        exporters=_regions(fields["exporters"], dataset),  # type: ignore[arg-type]
        importers=_regions(fields["importers"], dataset),  # type: ignore[arg-type]
        description=_text(fields.get("description"), default=""),
        source=_text(fields.get("source"), default=""),
        **values,
    )


def _policy_values(
    kind: str, fields: dict[str, _Located], dataset: GravityDataset
) -> dict[str, Any]:
    """The instrument-specific numbers of a gravity policy, checked."""
    from sim.scenario import policy_values

    values = policy_values(kind, fields, GRAVITY)
    if kind == "covariate":
        known = [k for k in dataset.coefficients if k != "constant"]
        if values["variable"] not in known:
            raise fields["variable"].error(
                f"unknown cost covariate {values['variable']!r}; known: {', '.join(known)}"
            )
    return values
