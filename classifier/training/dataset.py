"""The labelled messages in `classifier/data/`, one JSON object a line.

Each line: {"policy", "level", "severity", "channel": "email"|"voice"|"sms", "subject", "body",
"declared"?, "note"?}; a graded set also has "acceptable" (the levels a lead could defend),
"why" and "kind". `level` is the right proposal under `policy`; `severity` is the
contract-independent class the text categorizer learns.

Sources (`classifier/locations.py`):

* trained on: `train.jsonl` (generated, with severities), `realistic.jsonl` (paraphrased public
  reports, with severities), and since round 6 the graded sets A-G (`GRADED_FILES`, the spent
  blind sets: a lead's level and no severity; `graded.py` derives the severity that gives the
  level under the row's policy, and drops the rows none explains);
* never trained on: `heldout.jsonl` and `stress.jsonl`, the project's own hand-written checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from classifier.locations import HELDOUT_FILE, TRAIN_FILE

__all__ = ["HELDOUT_FILE", "TRAIN_FILE", "DatasetError", "Row", "iter_rows", "read_rows"]


class DatasetError(ValueError):
    """A bad line in a data file; `str()` names the file, line and field."""


@dataclass(frozen=True, slots=True)
class Row:
    policy: str
    level: str
    severity: str | None
    channel: str
    subject: str
    body: str
    declared: str | None = None
    note: str | None = None
    acceptable: tuple[str, ...] = ()  # levels a careful lead could defend (graded sets only)
    kind: str | None = None  # what sort of message it is, for reading the errors


def read_rows(path: Path) -> list[Row]:
    return list(iter_rows(path))


def iter_rows(path: Path) -> Iterator[Row]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                yield _row(path, number, line)


def _row(path: Path, number: int, line: str) -> Row:
    where = f"{path}:{number}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{where}: not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise DatasetError(f"{where}: expected an object")
    for field in ("policy", "level", "subject", "body"):
        if not isinstance(data.get(field), str):
            raise DatasetError(f"{where}: {field}: missing or not a string")
    return Row(
        policy=data["policy"],
        level=data["level"],
        severity=data.get("severity"),
        channel=data.get("channel", "email"),
        subject=data["subject"],
        body=data["body"],
        declared=data.get("declared"),
        note=data.get("note") or data.get("why"),
        acceptable=_levels(where, data.get("acceptable")),
        kind=data.get("kind") if isinstance(data.get("kind"), str) else None,
    )


def _levels(where: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DatasetError(f"{where}: acceptable: expected a list of level ids")
    return tuple(value)
