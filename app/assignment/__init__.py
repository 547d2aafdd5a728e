"""assignment area."""
