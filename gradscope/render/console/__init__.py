"""The terminal renderer's parts: rows, styles and the progress line."""
