"""Placeholder: `intake oncall` is being built (issue 5)."""

import typer

oncall_app = typer.Typer(help="Show the on-call schedule and escalation chain.", no_args_is_help=True)
