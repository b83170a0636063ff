"""sim.files: the refusal to replace a file without --force."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import InputError
from sim.files import check_new_files


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
