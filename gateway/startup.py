"""Faults at start that the operator can fix, worded as one sentence: what is wrong, what to do.

`intake serve` prints such a fault on one line and exits 2 (as for a bad configuration);
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path


class StartupError(Exception):
    """Already worded for the user: the problem, naming the file, port or setting, and the fix."""


def prepare_data_dir(path: Path) -> None:
    """Create the data directory if needed and prove it takes files."""
    hint = "set data_dir (--data-dir, INTAKE_DATA_DIR) to a writable directory"
    if path.exists() and not path.is_dir():
        raise StartupError(f"data dir {path} is a file, not a directory: {hint}")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except (FileExistsError, NotADirectoryError):  # a parent is a file
        raise StartupError(
            f"data dir {path} cannot be created, a part of its path is a file: {hint}"
        ) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StartupError(
            f"data dir {path} is not writable ({reason}): fix its permissions or {hint}"
        ) from None


def bind_error(what: str, host: str, port: int, setting: str, exc: OSError) -> StartupError:
    """The sentence for a listener that cannot bind, by cause."""
    where = f"{what} cannot listen on {host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return StartupError(
            f"{where}: the port is already in use by another process;"
            f" stop that process or choose another port ({setting})"
        )
    if exc.errno == errno.EACCES:
        return StartupError(
            f"{where}: permission denied (ports below 1024 need privileges);"
            f" choose a port above 1023 ({setting})"
        )
    reason = exc.strerror or str(exc)  # e.g. an address this machine does not have
    return StartupError(f"{where}: {reason}; check the host and port ({setting})")
