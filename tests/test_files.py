"""sim.files: the refusal to replace a file without --force, the writeback of a file in parts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim.errors import InputError
from sim.files import Writeback, check_new_files


def test_an_existing_file_is_refused_naming_it_unless_forced(tmp_path: Path) -> None:
    free, taken = tmp_path / "free.csv", tmp_path / "taken.csv"
    taken.write_text("x", encoding="utf-8")
    check_new_files([free, None], force=False)
    with pytest.raises(InputError) as raised:
        check_new_files([free, None, taken], force=False)
    assert str(raised.value) == f"'{taken}' already exists; use --force to replace it"
    assert raised.value.exit_code == 2
    check_new_files([free, taken], force=True)
    assert taken.read_text(encoding="utf-8") == "x"  # a check, never a write


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="no posix_fadvise here")
def test_writeback_advises_the_pages_since_the_part_before_the_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each call covers the parts written since the call before the last one, to the end
    of the file: every page is advised twice (written, then on disk), never the whole
    file again."""
    calls: list[tuple[int, int]] = []
    advise = os.posix_fadvise

    def spy(descriptor: int, offset: int, length: int, advice: int) -> None:
        calls.append((offset, length))
        advise(descriptor, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", spy)
    with open(tmp_path / "parts.bin", "wb", buffering=0) as handle:
        writeback = Writeback(handle.fileno())
        for size in (100, 250, 40, 7):
            handle.write(b"x" * size)
            writeback.start()
    assert calls == [(0, 0), (0, 0), (100, 0), (350, 0)]
