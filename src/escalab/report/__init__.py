"""The report layer: what a researcher reads (terminal summaries, tables, figures, files)."""
