"""Frozen records between the stages, the figures' summary and the JSON codec (no torch)."""
