"""Optional dependencies: imported when first needed, with a one-line error naming the extra."""

from __future__ import annotations

import importlib
from typing import Any

from sim.errors import InputError


def need(module: str, extra: str, what: str) -> Any:
    """Import an optional dependency, or raise a one-line :class:`InputError` naming its extra.

    Parameters
    ----------
    module : str
        ``pandas``, ``pyarrow.parquet``, ``openpyxl``, ...
    extra : str
        The tradesim extra that installs it.
    what : str
        What needs it, for the message.

    Raises
    ------
    InputError
        ``"<what> needs <package>: pip install 'tradesim[<extra>]'"`` when it is missing.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise InputError(f"{what} needs {top}: pip install 'tradesim[{extra}]'") from None
