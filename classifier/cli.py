"""`intake classify` and `intake classifier train|evaluate`.

Heavy imports (spaCy, the model) happen inside the commands so `intake --help` stays fast.
What the commands need from the gateway (its mail parser, the store's corrections) is passed
in as `ClassifierInputs` through the command context: the classifier never imports the gateway.
`train` and `evaluate` drive `classifier.training`, which exists only in a source checkout.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from classifier.locations import HELDOUT_FILE

if TYPE_CHECKING:
    from classifier.decide import Proposal
    from classifier.training.evaluate import PolicyReport
    from policies import Policy

# Subject, latest text (no quoted history) and raw declared-priority hints of one RFC 822 mail.
MailText = tuple[str, str, Sequence[str]]


@dataclass(frozen=True, slots=True)
class ClassifierInputs:
    """What the commands need from the application, passed in as the click context's object:
    a mail reader for `classify` and the staff corrections for `train --include-corrections`."""

    read_mail: Callable[[bytes], MailText]
    load_corrections: Callable[[Path], Sequence[Mapping[str, object]]]


def _inputs(ctx: typer.Context) -> ClassifierInputs | None:
    found = ctx.find_object(ClassifierInputs)
    return found if isinstance(found, ClassifierInputs) else None

classifier_app = typer.Typer(help="Train and evaluate the triage classifier.", no_args_is_help=True)

CHUNK = 512  # JSON lines classified per batch
_HEADER = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:")
_MAIL_HEADERS = (b"from:", b"subject:", b"date:", b"message-id:", b"received:", b"to:")


# --- intake classify -------------------------------------------------------------------------


def classify(
    ctx: typer.Context,
    policy: str = typer.Option(..., "--policy", help="Policy name or policy file."),
    jsonl: bool = typer.Option(
        False, "--jsonl", help='Read lines {"id", "subject", "body"} from stdin, one answer each.'
    ),
) -> None:
    """Propose priorities under a policy: one message on stdin (plain text or RFC 822), or
    JSON lines with --jsonl. Prints {"id", "priority", "confidence", "reasons"} per message."""
    from classifier.triage import Triage

    loaded = _load_policy(policy)
    triage = Triage.load()
    if jsonl:
        for chunk in _chunks(_read_jsonl(sys.stdin.buffer), CHUNK):
            items = [(subject, body, declared) for _, subject, body, declared, _ in chunk]
            for (ident, *_, problem), proposal in zip(
                chunk, triage.propose_many(loaded, items), strict=True
            ):
                _write(ident, proposal, problem)
            sys.stdout.flush()
        return
    subject, body, declared = _read_message(sys.stdin.buffer.read(), loaded, _inputs(ctx))
    _write(None, triage.propose(loaded, subject, body, declared=declared), None)


def _load_policy(name: str) -> Policy:
    from policies import PolicyError, load_policy

    try:
        return load_policy(name)
    except (PolicyError, OSError, KeyError, ValueError) as exc:
        typer.echo(f"error: --policy {name!r}: {exc}", err=True)
        raise typer.Exit(2) from None


Parsed = tuple[Any, str, str, str | None, str | None]  # id, subject, body, declared, problem


def _read_jsonl(stream: Iterable[bytes]) -> Iterator[Parsed]:
    """Each input line, parsed; a bad line still yields a row (and an answer) with its problem."""
    for number, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            yield None, "", "", None, f"line {number}: not JSON"
            continue
        if not isinstance(data, dict):
            yield None, "", "", None, f"line {number}: not a JSON object"
            continue
        declared = data.get("declared")
        yield (
            data.get("id"),
            _text(data.get("subject")),
            _text(data.get("body")),
            declared if isinstance(declared, str) else None,
            None,
        )


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _chunks(rows: Iterable[Parsed], size: int) -> Iterator[list[Parsed]]:
    chunk: list[Parsed] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write(ident: object, proposal: Proposal, problem: str | None) -> None:
    reasons = list(proposal.reasons) + ([problem] if problem else [])
    line = {
        "id": ident,
        "priority": proposal.priority,
        "confidence": proposal.confidence,
        "reasons": reasons,
    }
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")


def _read_message(
    raw: bytes, policy: Policy, inputs: ClassifierInputs | None
) -> tuple[str, str, str | None]:
    """Subject, latest text and declared level of one message: RFC 822 or plain text. Mail is
    read by the application's parser when one is passed in, else by the standard library."""
    if not _looks_like_mail(raw):
        return "", raw.decode("utf-8", "replace"), None
    if inputs is None:
        return (*_read_mail_stdlib(raw), None)
    subject, latest, hints = inputs.read_mail(raw)
    return subject, latest, policy.match_declared(hints)


def _looks_like_mail(raw: bytes) -> bool:
    """A header block (only header lines or continuations) naming at least one mail header."""
    head = raw.lstrip(b"\r\n").split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    lines = [line for line in head.splitlines() if line.strip()]
    if not lines or not _HEADER.match(lines[0]):
        return False
    if not all(_HEADER.match(line) or line[:1] in (b" ", b"\t") for line in lines):
        return False
    return any(line.lower().startswith(_MAIL_HEADERS) for line in lines)


def _read_mail_stdlib(raw: bytes) -> tuple[str, str]:
    import email
    from email import policy as email_policy
    from email.message import EmailMessage

    message = email.message_from_bytes(raw, policy=email_policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("plain", "html"))
    try:
        body = part.get_content() if part is not None else ""
    except (LookupError, ValueError):
        body = ""
    return str(message.get("subject", "")), str(body)


# --- intake classifier train -----------------------------------------------------------------


@classifier_app.command("train")
def train_command(
    ctx: typer.Context,
    include_corrections: bool = typer.Option(
        False, "--include-corrections", help="Also learn from staff corrections in the store."
    ),
    data_dir: Path = typer.Option(
        Path("var"),
        "--data-dir",
        envvar="INTAKE_DATA_DIR",
        help="The gateway's data directory (holds intake.db with the corrections).",
    ),
    output: Path | None = typer.Option(
        None, "--output", help="Save the model here instead of the package's classifier/model/."
    ),
    epochs: int = typer.Option(4, "--epochs", min=1, max=50, help="Passes over the data."),
) -> None:
    """Train the severity model on the shipped training set (never the held-out set)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from classifier.training.corrections import correction_rows
    from classifier.training.train import train

    console = Console(stderr=True)
    corrections = []
    if include_corrections:
        inputs = _inputs(ctx)
        if inputs is None:
            typer.echo("error: --include-corrections: no store to read corrections from", err=True)
            raise typer.Exit(2)
        corrections = correction_rows(inputs.load_corrections(data_dir))
        console.print(f"{len(corrections)} staff corrections from {data_dir}")
    columns = (
        TextColumn("training"),
        BarColumn(),
        TextColumn("epoch {task.completed}/{task.total}  loss {task.fields[loss]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("train", total=epochs, loss="-")

        def step(epoch: int, total: int, loss: float) -> None:
            progress.update(task, completed=epoch, loss=f"{loss:.3f}")

        result = train(output=output, epochs=epochs, corrections=corrections, progress=step)
    console.print(
        f"trained on {result.examples} messages ({result.corrections} corrections, "
        f"{result.skipped} skipped) in {result.seconds:.1f} s; saved to {result.path}"
    )


# --- intake classifier evaluate --------------------------------------------------------------


@classifier_app.command("evaluate")
def evaluate_command(
    data: Path = typer.Option(HELDOUT_FILE, "--data", help="Labelled JSON lines to score."),
    policy: list[str] = typer.Option([], "--policy", help="Only these policies (repeatable)."),
    model: Path | None = typer.Option(None, "--model", help="A model directory to evaluate."),
    errors: bool = typer.Option(False, "--errors", help="List the misclassified messages."),
    check: bool = typer.Option(
        False, "--check", help="Exit 1 unless every policy meets accuracy and top-recall targets."
    ),
) -> None:
    """Per policy: accuracy, per-level precision and recall, top-priority recall, confusion."""
    from rich.console import Console

    from classifier.training.dataset import DatasetError, read_rows
    from classifier.training.evaluate import evaluate
    from classifier.triage import Triage

    console = Console()
    try:
        rows = read_rows(data)
    except (OSError, DatasetError) as exc:
        typer.echo(f"error: --data: {exc}", err=True)
        raise typer.Exit(2) from None
    triage = Triage.load(model)
    if not triage.trained:
        console.print("[yellow]no trained model: scoring the rules alone[/yellow]")
    reports = evaluate(triage, rows, policy)
    for report in reports:
        _print_report(console, report, errors)
    if check and not all(report.meets_targets for report in reports):
        raise typer.Exit(1)


def _print_report(console: Any, report: PolicyReport, show_errors: bool) -> None:
    from rich.table import Table

    from classifier.training.evaluate import (
        TARGET_ACCEPTABLE,
        TARGET_ACCURACY,
        TARGET_RAISED_TO_TOP,
        TARGET_TOP_RECALL,
    )

    ok = "[green]meets targets[/green]" if report.meets_targets else "[red]below targets[/red]"
    if report.graded:
        targets = (
            f"acceptable ≥ {TARGET_ACCEPTABLE}, top recall ≥ {TARGET_TOP_RECALL}, "
            f"raised to top ≤ {TARGET_RAISED_TO_TOP}"
        )
    else:
        targets = f"accuracy ≥ {TARGET_ACCURACY}, top recall ≥ {TARGET_TOP_RECALL}"
    raised, below = report.raised_to_top
    console.print(
        f"\n[bold]{report.policy}[/bold]  n={report.n}  accuracy {report.accuracy:.3f}  "
        + (f"acceptable {report.acceptable:.3f}  " if report.graded else "")
        + f"top-priority ({report.top}) recall {report.top_recall:.3f}  "
        f"precision {_fmt(report.top_precision)}  raised to top {raised}/{below}  "
        f"needs human {report.needs_human}  {ok} ({targets})"
    )
    levels = Table("level", "support", "precision", "recall", box=None)
    for level in report.levels:
        levels.add_row(
            level,
            str(report.support(level)),
            _fmt(report.precision(level)),
            _fmt(report.recall(level)),
        )
    console.print(levels)
    matrix = Table("labelled \\ proposed", *report.levels, box=None)
    confusion = report.confusion
    for want in report.levels:
        matrix.add_row(want, *(str(confusion[(want, got)]) for got in report.levels))
    console.print(matrix)
    if show_errors:
        for row, proposal in report.errors:
            console.print(
                f"  labelled {row.level}, proposed {proposal.priority} "
                f"({proposal.confidence:.2f}): {row.subject!r} — {'; '.join(proposal.reasons)}",
                markup=False,
                highlight=False,
            )


def _fmt(value: float) -> str:
    return "-" if value != value else f"{value:.2f}"
