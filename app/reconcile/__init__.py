"""reconcile area."""
