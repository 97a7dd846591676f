"""Bulk operations: rows validated at intake, queued in chunks, written and counted exactly once."""
