"""`intake classifier train|evaluate` (`intake classify` lives with the gateway's CLI, which
reads mail with the gateway's parser).

Heavy imports (spaCy, the model) happen inside the commands so `intake --help` stays fast.
The classifier never imports the gateway: staff corrections come in as plain records. `train`
and `evaluate` drive `classifier.training`, which exists only in a source checkout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from classifier.locations import HELDOUT_FILE

if TYPE_CHECKING:
    from classifier.training.evaluate import PolicyReport

classifier_app = typer.Typer(help="Train and evaluate the triage classifier.", no_args_is_help=True)


# --- intake classifier train -----------------------------------------------------------------


def train_command(
    *,
    corrections: Sequence[Mapping[str, object]] | None = None,
    source: Path | None = None,
    output: Path | None = None,
    epochs: int = 4,  # classifier.training.train.EPOCHS (the training package is source-only)
    graded_weight: int | None = None,
) -> None:
    """Train the severity model on the shipped training set (never the held-out set), plus
    the staff corrections the caller read from its store (`source` names where, for the log)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from classifier.training.corrections import correction_rows
    from classifier.training.train import train

    console = Console(stderr=True)
    rows = []
    if corrections is not None:
        rows = correction_rows(corrections)
        console.print(f"{len(rows)} staff corrections from {source}")
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

        result = train(
            output=output,
            epochs=epochs,
            corrections=rows,
            progress=step,
            graded_weight=graded_weight,
        )
    if result.graded or result.graded_dropped:
        console.print(
            f"graded sets A-G: {result.graded} rows trained on, {result.graded_dropped} dropped "
            "(no severity gives the lead's level, or not English)"
        )
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
        typer.echo(f"intake: --data: {exc}", err=True)
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
