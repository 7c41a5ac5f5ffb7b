"""Staff corrections (`intake tickets set-priority`) as training rows.

The classifier takes plain records; reading them from the store is the gateway's job
(`gateway.store.corrections.load_corrections`), and the CLI passes them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from classifier.training.dataset import Row


def correction_rows(records: Iterable[Mapping[str, object]]) -> list[Row]:
    """Each correction as a row, newest decision per ticket (records come oldest first)."""
    latest: dict[tuple[str, object], Row] = {}
    for record in records:
        row = Row(
            policy=str(record["policy"]),
            level=str(record["new_priority"]),
            severity=None,
            channel="email",
            subject=str(record.get("subject") or ""),
            body=str(record.get("body") or ""),
            note=f"correction: {record.get('reason') or ''}".strip(),
        )
        latest[(row.policy, record.get("ticket_number"))] = row
    return list(latest.values())
