"""Objects: set, get, list and delete, one collection at a time."""
