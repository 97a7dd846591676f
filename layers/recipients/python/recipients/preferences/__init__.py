"""Preferences: a recipient's preference sets (`default`, or one per tenant) and how they are written."""
