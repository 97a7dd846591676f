"""API keys: the authorizer's key check (keys.py) and the verdicts API functions act on (verdicts.py)."""
