"""Audiences: static lists of users (each with a tenant or none), their members managed through the API."""
