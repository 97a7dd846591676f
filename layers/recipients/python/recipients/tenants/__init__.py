"""Tenants: the objects of the collection `$tenants`, with their branding and default preference set."""
