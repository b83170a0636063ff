"""One read path and one write path for every file tradesim touches.

Reading: only regular files are read (never a device, FIFO or socket, which could block
forever or never end), the size limit is checked on the bytes actually read, and a
missing, unreadable or oversized file is an :class:`~sim.errors.InputError` naming it.

Writing: every file is written to a staging neighbour, flushed to disk and renamed into
place, so a reader sees the old file or the new one, never half of one. An operating-system
failure while writing (a full disk, a file-size limit, a read-only or missing folder, a
name too long) is a :class:`~sim.errors.WriteError` naming the path, exit status 1.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.errors import InputError, WriteError

_CHUNK = 1 << 16


def read_bytes(path: Path, *, max_bytes: int, what: str = "file") -> bytes:
    """Read a regular file of at most ``max_bytes`` bytes.

    Parameters
    ----------
    path : Path
        File to read.
    max_bytes : int
        Largest size accepted, checked on the bytes read (a file that grows while it is
        read, or a special file that reports size 0, cannot get past it).
    what : str
        Word used for the file in error messages ("scenario", "dataset", ...).

    Returns
    -------
    bytes

    Raises
    ------
    InputError
        If the file is missing, unreadable, not a regular file or too large.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(f"{what} not found", path=path) from None
    except OSError as error:
        raise InputError(f"cannot read {what}: {_reason(error)}", path=path) from None
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{what} is a directory, not a file", path=path)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(
                f"{what} is not a regular file (a device, FIFO or socket); give a file",
                path=path,
            )
        if info.st_size > max_bytes:
            raise InputError(f"{what} is {info.st_size} bytes; the limit is {max_bytes}", path=path)
        os.set_blocking(descriptor, True)
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(descriptor, _CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise InputError(
                    f"{what} is more than {max_bytes} bytes; the limit is {max_bytes}",
                    path=path,
                )
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as error:
        raise InputError(f"cannot read {what}: {_reason(error)}", path=path) from None
    finally:
        os.close(descriptor)


def read_text(path: Path, *, max_bytes: int, what: str = "file") -> str:
    """Read a UTF-8 text file through :func:`read_bytes` (a byte-order mark is dropped).

    Raises
    ------
    InputError
        As :func:`read_bytes`, and for text that is not UTF-8 (naming the line).
    """
    raw = read_bytes(path, max_bytes=max_bytes, what=what)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{what} is not UTF-8 text (byte {exc.start})",
            path=path,
            line=1 + raw[: exc.start].count(b"\n"),
        ) from None


def _reason(error: OSError) -> str:
    if error.errno is not None and error.errno in _PLAIN:
        return _PLAIN[error.errno]
    return (error.strerror or str(error)).lower()


_PLAIN = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOSPC: "no space left on the device",
    errno.EFBIG: "file too large (a file-size limit was reached)",
    errno.EROFS: "read-only file system",
    errno.ENAMETOOLONG: "file name too long",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "is a folder",
    errno.EDQUOT: "disk quota exceeded",
}


def write_failure(path: Path, error: OSError) -> WriteError:
    """The one-line :class:`WriteError` for an ``OSError`` raised while writing ``path``."""
    where = error.filename if isinstance(error.filename, str) else str(path)
    return WriteError(f"cannot write '{where}': {_reason(error)}")


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn ``OSError`` raised in the block into a :class:`WriteError` naming ``path``."""
    try:
        yield
    except OSError as error:
        raise write_failure(path, error) from None


def write_bytes_durably(path: Path, data: bytes) -> None:
    """Create ``path`` (which must not exist) with ``data``, flushed to disk."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            written = os.write(descriptor, view)
            view = view[written:]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (renames into it) to disk, where the system allows it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
