"""From a record to a Report: judging, remedies, replays and the time budget."""
