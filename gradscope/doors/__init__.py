"""The commands: each door turns its source into a RunRecord and hands it to the one core."""
