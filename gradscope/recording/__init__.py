"""The one recorder, `watch`, and several optimizers' recordings merged into one record."""
