"""Integration tests: real HTTP against the local API (moto server behind it) or a deployed stage."""

from tests.local_api import anonymous_http, api, http, new_collection, new_user_id  # noqa: F401
