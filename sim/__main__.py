"""Run the command-line interface with ``python -m sim``."""

from sim.cli import main

main()
