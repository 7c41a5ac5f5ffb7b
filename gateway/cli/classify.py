"""`intake classify`: propose priorities for messages under a policy, from stdin.

One message (plain text or RFC 822, read with the gateway's own parser) or, with --jsonl,
one JSON object a line. A line that is not a JSON object is an error naming the line: the
answers for the lines before it are printed, then the command exits 2.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import typer

from gateway.cli.common import load_policy_or_exit, usage_error

if TYPE_CHECKING:
    from classifier.decide import Proposal
    from policies import Policy

CHUNK = 512  # JSON lines classified per batch
_HEADER = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:")
_MAIL_HEADERS = (b"from:", b"subject:", b"date:", b"message-id:", b"received:", b"to:")

Item = tuple[Any, str, str, str | None]  # id, subject, body, declared


class BadLine(Exception):
    def __init__(self, number: int, problem: str) -> None:
        super().__init__(f"stdin line {number}: {problem}")


def classify(
    policy: str = typer.Option(..., "--policy", help="Policy name or policy file."),
    jsonl: bool = typer.Option(
        False, "--jsonl", help='Read lines {"id", "subject", "body"} from stdin, one answer each.'
    ),
) -> None:
    """Propose priorities under a policy: one message on stdin (plain text or RFC 822), or
    JSON lines with --jsonl. Prints {"id", "priority", "confidence", "reasons"} per message."""
    from classifier.triage import Triage

    loaded = load_policy_or_exit(policy)
    triage = Triage.load()
    if not jsonl:
        subject, body, declared = _read_message(sys.stdin.buffer.read(), loaded)
        _write(None, triage.propose(loaded, subject, body, declared=declared))
        return
    chunk: list[Item] = []

    def flush() -> None:
        items = [(subject, body, declared) for _, subject, body, declared in chunk]
        for (ident, *_), proposal in zip(chunk, triage.propose_many(loaded, items), strict=True):
            _write(ident, proposal)
        sys.stdout.flush()
        chunk.clear()

    try:
        for item in _read_jsonl(sys.stdin.buffer):
            chunk.append(item)
            if len(chunk) >= CHUNK:
                flush()
    except BadLine as error:
        flush()
        usage_error(str(error))
    flush()


def _read_jsonl(stream: Iterable[bytes]) -> Iterator[Item]:
    """Each non-blank input line as an item; a line that is not a JSON object raises BadLine."""
    for number, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise BadLine(number, "not UTF-8") from None
        except ValueError:
            raise BadLine(number, "not JSON") from None
        if not isinstance(data, dict):
            raise BadLine(number, f"not a JSON object: {raw[:40].decode('utf-8', 'replace')!r}")
        declared = data.get("declared")
        yield (
            data.get("id"),
            _text(data.get("subject")),
            _text(data.get("body")),
            declared if isinstance(declared, str) else None,
        )


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _write(ident: object, proposal: Proposal) -> None:
    line = {
        "id": ident,
        "priority": proposal.priority,
        "confidence": proposal.confidence,
        "reasons": list(proposal.reasons),
    }
    # ensure_ascii: customer text in reasons reaches the terminal as \u escapes, never as
    # raw escape sequences or bidi controls.
    sys.stdout.write(json.dumps(line) + "\n")


def _read_message(raw: bytes, policy: Policy) -> tuple[str, str, str | None]:
    """Subject, latest text and declared level of one message: RFC 822 or plain text."""
    if not _looks_like_mail(raw):
        return "", raw.decode("utf-8", "replace"), None
    from gateway.parsing import parse_message

    parsed = parse_message(raw)
    return parsed.subject, parsed.latest_text, policy.match_declared(parsed.declared_hints)


def _looks_like_mail(raw: bytes) -> bool:
    """A header block (only header lines or continuations) naming at least one mail header."""
    head = raw.lstrip(b"\r\n").split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    lines = [line for line in head.splitlines() if line.strip()]
    if not lines or not _HEADER.match(lines[0]):
        return False
    if not all(_HEADER.match(line) or line[:1] in (b" ", b"\t") for line in lines):
        return False
    return any(line.lower().startswith(_MAIL_HEADERS) for line in lines)
