"""Workflow runs: triggers that identify their inline recipients first, cancels, and the bus."""
