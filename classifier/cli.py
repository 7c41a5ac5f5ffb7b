"""Placeholder: `intake classify` and `intake classifier` are being built (issue 4)."""

import typer

classifier_app = typer.Typer(help="Train and evaluate the triage classifier.", no_args_is_help=True)


def classify(policy: str = typer.Option(..., help="Policy name or file.")) -> None:
    """Propose a priority for messages under a policy."""
    raise typer.Exit(1)
