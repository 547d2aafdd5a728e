"""ops area."""
