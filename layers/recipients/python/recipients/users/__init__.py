"""Users: identify, get, list, delete and merge."""
