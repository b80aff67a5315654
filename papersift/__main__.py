"""`python -m papersift ...`: the same as the `papersift` command."""

from papersift.api.cli.main import main

main()
