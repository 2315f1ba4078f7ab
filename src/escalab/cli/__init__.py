"""The command line: Typer commands over the report layer. Exit codes: 0 ok, 2 bad input, 1 internal."""
