"""`python -m flows.cli ARGS` is `lakepulse ARGS`."""

from flows.cli import main

main()
