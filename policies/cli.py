"""Placeholder: `intake policies` and `intake sla` are being built (issue 3)."""

import typer

policies_app = typer.Typer(help="List, check and explain support policies.", no_args_is_help=True)
sla_app = typer.Typer(help="Compute and explain committed SLA deadlines.", no_args_is_help=True)
