"""exports area."""
