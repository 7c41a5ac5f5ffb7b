"""`intake classifier train|evaluate`: the classifier's own commands, mounted here so that
`--config`/`--data-dir` find the staff corrections the same way every other command finds
the gateway's data (the classifier package itself knows nothing of the gateway's settings)."""

from __future__ import annotations

from pathlib import Path

import typer

from classifier.cli import evaluate_command, train_command
from gateway.cli.common import CONFIG_OPTION, DATA_DIR_OPTION, require_database, settings_from_cli

classifier_app = typer.Typer(no_args_is_help=True)
classifier_app.command("evaluate")(evaluate_command)


@classifier_app.command("train")
def train(
    include_corrections: bool = typer.Option(
        False, "--include-corrections", help="Also learn from staff corrections in the store."
    ),
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
    output: Path | None = typer.Option(
        None, "--output", help="Save the model here instead of the package's classifier/model/."
    ),
    epochs: int = typer.Option(4, "--epochs", min=1, max=50, help="Passes over the data."),
    graded_weight: int | None = typer.Option(
        None,
        "--graded-weight",
        min=0,
        max=10,
        help="Count each row of the graded sets A-G this often (default: the shipped setting).",
    ),
) -> None:
    """Train the severity model on the shipped training set (never the held-out set)."""
    corrections = None
    source = None
    if include_corrections:
        from gateway.store.corrections import load_corrections

        settings = settings_from_cli(config, data_dir)
        require_database(settings)
        source = settings.data_dir
        corrections = load_corrections(source)
    train_command(
        corrections=corrections,
        source=source,
        output=output,
        epochs=epochs,
        graded_weight=graded_weight,
    )
