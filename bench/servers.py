"""Starting a server under test as a subprocess and reading where it listens."""

from __future__ import annotations

import re
import subprocess


def start_server(
    command: list[str], env: dict[str, str], ready: re.Pattern[str]
) -> tuple[subprocess.Popen[str], re.Match[str]]:
    """Run `command`; its first stdout line must match `ready` (e.g. "intake ready: smtp=...")."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = ready.search(line)
    if not match:
        process.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return process, match
