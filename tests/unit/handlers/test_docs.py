"""GET /openapi.json and GET /docs: the docs function with events/docs.json and events/docs_swagger_ui.json."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path

from functions.docs.app import OPENAPI_DOCUMENT, lambda_handler
from recipients.http.docs import swagger_ui_page
from tests.conftest import EventLoader, FakeLambdaContext

REPO_OPENAPI = Path(__file__).resolve().parents[3] / "openapi.json"


def test_openapi_sample_returns_the_generated_document_exactly(
    load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # events/docs.json is GET /openapi.json with no key (the route has no authorizer)
    response = lambda_handler(load_event("docs"), lambda_context)

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["body"] == REPO_OPENAPI.read_text(encoding="utf-8")
    assert json.loads(response["body"])["openapi"].startswith("3.1")
    assert OPENAPI_DOCUMENT.parent.name == "docs"  # the copy that ships in the function's CodeUri


def test_swagger_ui_sample_returns_the_page_gzipped(load_event: EventLoader, lambda_context: FakeLambdaContext) -> None:
    # events/docs_swagger_ui.json is GET /docs from a browser that accepts gzip
    response = lambda_handler(load_event("docs_swagger_ui"), lambda_context)

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert response["headers"]["Content-Encoding"] == "gzip"
    assert response["isBase64Encoded"] is True
    page = gzip.decompress(base64.b64decode(response["body"])).decode("utf-8")
    assert page == swagger_ui_page("openapi.json", "Recipients API")


def test_swagger_ui_without_gzip_returns_plain_html(load_event: EventLoader, lambda_context: FakeLambdaContext) -> None:
    response = lambda_handler(load_event("docs_swagger_ui", headers={"accept-encoding": None}), lambda_context)

    assert response["statusCode"] == 200
    assert "Content-Encoding" not in response["headers"]
    assert response["body"].startswith("<!DOCTYPE html>")


def test_swagger_ui_page_is_self_contained_and_loads_the_document_url() -> None:
    page = swagger_ui_page("openapi.json", "Recipients API")

    # Swagger UI's script and styles are inlined (no CDN), and it is started on the relative document URL
    assert "<title>Recipients API</title>" in page
    assert "<script src=" not in page and "<link " not in page
    assert len(page) > 1_000_000  # the bundle itself
    assert re.search(r'SwaggerUIBundle\(\{"url": "openapi\.json", "dom_id": "#swagger-ui"', page)
    # Inlined code cannot close its own element early
    assert page.count("</script>") == 2 and page.count("</style>") == 1
