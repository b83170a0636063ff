"""The commented starter scenario that ``tradesim init`` writes."""

from __future__ import annotations

import os
import re
from pathlib import Path

STARTER = """\
# A tradesim scenario. Reference: docs/scenarios.md. Check it: tradesim validate {name}.yaml
name: {quoted}
description: >
  What the scenario assumes, in a sentence or two (shown by tradesim list and in run.json).

# Packaged dataset name, or the path of a dataset file relative to this file.
dataset: japan-china-2022

# The horizon: quarters (2023Q1) or dates (2023-01-01, the quarter that contains it).
start: 2023Q1
end: 2026Q4

# To build on another scenario instead, uncomment and give its path or the name of a
# shipped scenario (tradesim list); policies with the same id then change the inherited
# ones (e.g. end: 2024-07-01 lifts a ban), and results are measured against that scenario
# (tradesim run --against no-policy to change that).
# extends: baseline

{types}
policies:
  - id: seafood-ban                 # a name to refer to the policy by
    type: ban                       # one of the types above
    description: China suspends imports of Japanese aquatic products.
    source: https://japantoday.com/category/national/china-imported-no-seafood-from-japan-in-sept.-over-fukushima-water
    sector: seafood                 # one sector or a list
    exporters: [JPN]                # a list, all, or {{all_except: [...]}}
    importers: [CHN]
    coverage: 0.91                  # {coverage}
    start: 2023-08-24
    # end: 2024-07-01               # leave out to keep it to the end of the horizon
    # phase_in: 2                   # quarters to reach full strength

# Optional: override elasticities of a sector (and of one region of it).
# parameters:
#   seafood:
#     sigma: {{short_run: 1.5, long_run: 3.0}}
#     half_life_quarters: 2
#     regions:
#       CHN: {{eps: {{long_run: 1.0}}}}

# Optional: annual trend growth of demand per region.
# demand_growth: {{CHN: 0.03}}

# Optional: how uncertain some numbers are, for tradesim run --draws N and tradesim
# sensitivity (docs/uncertainty.md).
# uncertainty:
#   seafood.sigma.long_run: {{dist: triangular, low: 1.8, mode: 2.5, high: 4.0}}
#   policies.seafood-ban.coverage: {{dist: uniform, low: 0.85, high: 0.95}}
"""


def starter_scenario(name: str) -> str:
    """The starter scenario text for ``name``."""
    import json

    from sim.policytypes import BY_NAME, PE, starter_comments

    coverage = BY_NAME["ban"].field("coverage")
    # quoted, so that names YAML would read as a boolean, a number or null stay text
    return STARTER.format(
        name=name,
        quoted=json.dumps(name),
        types=starter_comments(),
        coverage=f"{coverage.doc}, {coverage.bounds_for(PE).text()}",
    )


def copied_scenario(source: Path, name: str, destination: Path) -> str:
    """The text of scenario file ``source`` renamed ``name``, to be written at ``destination``.

    Comments and layout are kept. A relative ``extends`` is rewritten relative to
    ``destination`` unless it names a shipped scenario, which is found by name anywhere.

    Parameters
    ----------
    source : Path
        A scenario file (a shipped one or the user's).
    name : str
        The new scenario's name.
    destination : Path
        Where the copy will be written.
    """
    from sim.shipped import shipped_path

    text = source.read_text(encoding="utf-8")
    text, renamed = re.subn(r"^name:.*$", f"name: {name}", text, count=1, flags=re.M)
    if not renamed:
        text = f"name: {name}\n" + text

    def parent(match: re.Match[str]) -> str:
        value = match[1].strip().strip("'\"")
        if source.parent / value == shipped_path(value) or Path(value).is_absolute():
            return match[0]
        target = os.path.relpath(source.parent.resolve() / value, destination.parent.resolve())
        return f"extends: {target}"

    return re.sub(r"^extends:(.*)$", parent, text, count=1, flags=re.M)
