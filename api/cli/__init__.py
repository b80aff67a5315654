"""The `papersift` command."""
