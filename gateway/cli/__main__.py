"""`python -m gateway.cli`: the `intake` command (benchmarks and tests start servers this way)."""

from gateway.cli import main

main()
