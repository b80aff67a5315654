"""The edges of papersift: HTTP API, web page and command line."""
