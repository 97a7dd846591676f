"""The operators' web console: its page and static assets, served with strict security headers.

The console is plain HTML, CSS and ES modules kept in the console function's own folder (no build
step, no CDN). Every data call it makes goes through the API with the secret key the person enters,
so serving it needs no key and no AWS access. Only files named like `app.js` or `app.css` in that
folder are served; anything else is a 404.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit

from recipients.kernel.errors import RecipientsError
from recipients.kernel.observability import metrics

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    # revalidate every time: the file names carry no version, and an ETag makes an unchanged one a 304
    "Cache-Control": "no-cache",
}
PAGE = "index.html"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
_ASSET_NAME = re.compile(r"[a-z][a-z0-9_-]{0,63}\.(?:js|css|svg)")


@dataclass(frozen=True)
class Asset:
    """One file of the console, read once per container."""

    body: str
    content_type: str
    etag: str


def page(folder: Path) -> Asset:
    """The console's HTML page."""
    metrics.add_metric(name="ConsoleServed", unit=MetricUnit.Count, value=1)
    return _read(folder, PAGE)


def asset(folder: Path, name: str) -> Asset:
    """The script, stylesheet or image `name` of the console; `RecipientsError` (404) for anything else."""
    if not _ASSET_NAME.fullmatch(name) or not (folder / name).is_file():
        raise RecipientsError.not_found("console asset", name[:80])
    return _read(folder, name)


def respond(served: Asset, if_none_match: str | None) -> Response[Any]:
    """The asset with the console's security and cache headers; a bodyless 304 when the browser has it."""
    headers = {**SECURITY_HEADERS, "ETag": served.etag}
    if if_none_match is not None and served.etag in {tag.strip() for tag in if_none_match.split(",")}:
        return Response(status_code=304, body="", headers=headers, compress=False)  # gzip would give it a body
    return Response(status_code=200, content_type=served.content_type, body=served.body, headers=headers)


@cache
def _read(folder: Path, name: str) -> Asset:
    body = (folder / name).read_text(encoding="utf-8")
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]
    return Asset(body=body, content_type=CONTENT_TYPES[Path(name).suffix], etag=f'"{digest}"')
