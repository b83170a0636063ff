"""Loading a YAML document leaves the garbage collector as it found it."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from sim._yaml import load_yaml
from sim.errors import InputError


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was(tmp_path: Path, enabled: bool) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("a: [1, 2, {b: c}]\n", encoding="utf-8")
    bad.write_text("a: [1, 2\n", encoding="utf-8")
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        assert load_yaml(good).data == {"a": [1, 2, {"b": "c"}]}
        assert gc.isenabled() == enabled
        with pytest.raises(InputError, match="YAML syntax error"):
            load_yaml(bad)
        assert gc.isenabled() == enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_no_collection_runs_while_a_document_is_parsed(tmp_path: Path) -> None:
    # enough nodes to set off many collections at the default thresholds
    big = tmp_path / "big.yaml"
    big.write_text("rows:\n" + "".join(f"  - [{k}, x{k}, {{v: {k}}}]\n" for k in range(20000)))
    collections: list[str] = []

    def record(phase: str, info: dict) -> None:
        collections.append(phase)

    gc.callbacks.append(record)
    try:
        document = load_yaml(big)
    finally:
        gc.callbacks.remove(record)
    assert len(document.data["rows"]) == 20000
    # at most the one its allocations set off once the collector is back (without the
    # pause: dozens)
    assert collections.count("start") <= 1
