"""The API's own documentation: the generated OpenAPI document, and a Swagger UI page that loads it.

Swagger UI's script and stylesheet are the copies Powertools ships (the ones its `enable_swagger`
inlines), so the page works without reaching any CDN.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from aws_lambda_powertools.metrics import MetricUnit

from recipients.kernel.observability import metrics

_SWAGGER_UI = "aws_lambda_powertools.event_handler.openapi.swagger_ui"


def openapi_document(path: Path, base_url: str) -> str:
    """The OpenAPI document `make openapi` wrote, its servers the API as the caller reached it."""
    metrics.add_metric(name="DocsServed", unit=MetricUnit.Count, value=1)
    return _with_server(path, base_url)


def index(base_url: str) -> dict[str, str]:
    """GET /: where the documentation is."""
    return {
        "name": "Recipients API",
        "docs": f"{base_url}/docs",
        "openapi": f"{base_url}/openapi.json",
        "message": f"A Knock-compatible recipients API: its operations are described at {base_url}/docs",
    }


@lru_cache(maxsize=8)  # one per host name the API is reached by
def _with_server(path: Path, base_url: str) -> str:
    document = json.loads(_read(path))
    document["servers"] = [{"url": base_url, "description": "this API, as this document was fetched from it"}]
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def swagger_ui(document_url: str, title: str) -> str:
    """The Swagger UI page for the OpenAPI document at `document_url` (relative to the page)."""
    metrics.add_metric(name="DocsServed", unit=MetricUnit.Count, value=1)
    return swagger_ui_page(document_url, title)


@cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")  # once per container


@cache
def swagger_ui_page(document_url: str, title: str) -> str:
    """A Swagger UI page for the OpenAPI document at `document_url`, built once per container."""
    assets = resources.files(_SWAGGER_UI)
    script = (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    style = (assets / "swagger-ui.min.css").read_text(encoding="utf-8").replace("</style", "<\\/style")
    options = {"url": document_url, "dom_id": "#swagger-ui", "deepLinking": True, "persistAuthorization": False}
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<div id="swagger-ui"></div>
<script>{script}</script>
<script>window.ui = SwaggerUIBundle({json.dumps(options)});</script>
</body>
</html>
"""
