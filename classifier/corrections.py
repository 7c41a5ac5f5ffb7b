"""Staff corrections (`intake tickets set-priority`) as training rows.

The SQL lives with the rest of the store (`gateway.store.corrections.load_corrections`); this
module only turns its dicts into `Row`s the trainer understands.
"""

from __future__ import annotations

from pathlib import Path

from classifier.dataset import Row


def load_correction_rows(data_dir: Path) -> list[Row]:
    """Every recorded correction under `data_dir`, newest decision per ticket, as rows."""
    from gateway.store.corrections import load_corrections

    latest: dict[tuple[str, object], Row] = {}
    for record in load_corrections(data_dir):
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
