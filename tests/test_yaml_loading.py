"""Loading a YAML document leaves the garbage collector as it found it."""

from __future__ import annotations

import datetime as dt
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


def test_a_loaded_document_leaves_no_cyclic_garbage(tmp_path: Path) -> None:
    # the parse's nodes are freed when the load returns, not left for the collector to
    # find (a loader's cache of every scalar node made a cycle holding them all)
    big = tmp_path / "big.yaml"
    big.write_text(
        "rows:\n"
        + "".join(
            f"  - [{k}, x{k}, {k}.5, true, null, 2024-01-0{k % 9 + 1}]\n" for k in range(5000)
        )
    )
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        document = load_yaml(big)
        found = gc.collect()
    finally:
        (gc.enable if was else gc.disable)()
    assert document.data["rows"][7] == [7, "x7", 7.5, True, None, dt.date(2024, 1, 8)]
    assert found < 100  # the loader's own few objects (30,000 nodes and marks before)


@pytest.mark.parametrize(
    ("text", "message"),
    [("a: !!seq x\n", "invalid value 'x'"), ("a: !!int x\n", "invalid value 'x'")],
)
def test_a_scalar_that_is_not_of_its_tag_is_refused(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_yaml(path)
