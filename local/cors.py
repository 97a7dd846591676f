"""The HTTP API's CORS behaviour, from the template's `CorsConfiguration`, as API Gateway applies it.

API Gateway answers a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) itself,
without the authorizer or a route: with the CORS headers when the origin, the method and every
requested header are allowed, and without them otherwise, so that the browser blocks the call. To
the answer of any other request from an allowed origin it adds `Access-Control-Allow-Origin`.

`make run` allows `http://localhost:*` and `http://127.0.0.1:*` (any port), instead of the template's
`CorsAllowedOrigins` (none by default), so that a front end served locally can call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

LOCAL_ORIGINS = ("http://localhost:*", "http://127.0.0.1:*")


@dataclass(frozen=True)
class CorsRules:
    origins: tuple[str, ...]
    """Allowed origins, exact or with `*` for any port or subdomain; `*` alone is any origin."""
    headers: tuple[str, ...]
    methods: tuple[str, ...]
    max_age: int | None = None

    def allows_origin(self, origin: str) -> bool:
        return any(pattern == "*" or fnmatchcase(origin.lower(), pattern.lower()) for pattern in self.origins)

    def preflight(self, headers: dict[str, str]) -> list[tuple[str, str]]:
        """The CORS headers of the answer to a preflight; none when it asks for what is not allowed."""
        origin = headers.get("origin", "")
        method = headers.get("access-control-request-method", "").upper()
        requested = [name.strip().lower() for name in headers.get("access-control-request-headers", "").split(",")]
        allowed_headers = {name.lower() for name in self.headers}
        if not (self.allows_origin(origin) and method in self.methods):
            return []
        if any(name and name not in allowed_headers for name in requested):
            return []
        answer = [
            ("access-control-allow-origin", origin),
            ("access-control-allow-methods", ",".join(self.methods)),
            ("access-control-allow-headers", ",".join(name.lower() for name in self.headers)),
        ]
        if self.max_age is not None:
            answer.append(("access-control-max-age", str(self.max_age)))
        return answer

    def response_headers(self, headers: dict[str, str]) -> list[tuple[str, str]]:
        origin = headers.get("origin", "")
        return [("access-control-allow-origin", origin)] if origin and self.allows_origin(origin) else []


def is_preflight(method: str, headers: dict[str, str]) -> bool:
    return method == "OPTIONS" and "origin" in headers and "access-control-request-method" in headers


def cors_rules(configuration: dict[str, Any] | None, origins: tuple[str, ...] | None = None) -> CorsRules | None:
    """The rules of a resolved `CorsConfiguration` (None: CORS is off), with `origins` in place of its own."""
    if not configuration:
        return None
    allowed = origins if origins is not None else tuple(str(origin) for origin in configuration.get("AllowOrigins", []))
    if not any(allowed):
        return None
    max_age = configuration.get("MaxAge")
    return CorsRules(
        origins=allowed,
        headers=tuple(str(name) for name in configuration.get("AllowHeaders", [])),
        methods=tuple(str(method).upper() for method in configuration.get("AllowMethods", [])),
        max_age=int(max_age) if max_age is not None else None,
    )
