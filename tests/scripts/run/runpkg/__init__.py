"""A package whose trainer runs as `python -m runpkg.train`."""
