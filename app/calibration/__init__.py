"""Calibration: how each reviewer's scores compare with the expert scores of validity essays and with their
co-readers on live items, overall and as they go (docs/calibration.md)."""
