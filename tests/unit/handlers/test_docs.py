"""GET /, GET /openapi.json and GET /docs: the docs function with events/docs_root.json, events/docs.json and
events/docs_swagger_ui.json."""

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


def test_openapi_sample_returns_the_generated_document_with_the_server_it_was_fetched_from(
    load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # events/docs.json is GET /openapi.json with no key (the route has no authorizer), from 127.0.0.1:3000
    response = lambda_handler(load_event("docs"), lambda_context)

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/json"
    served = json.loads(response["body"])
    generated = json.loads(REPO_OPENAPI.read_text(encoding="utf-8"))
    assert served["servers"] == [
        {"url": "http://127.0.0.1:3000", "description": "this API, as this document was fetched from it"}
    ]
    assert {**served, "servers": generated["servers"]} == generated  # the rest as `make openapi` wrote it
    assert served["openapi"].startswith("3.1")
    assert OPENAPI_DOCUMENT.parent.name == "docs"  # the copy that ships in the function's CodeUri


def test_openapi_servers_follow_the_host_and_scheme_of_each_request(
    load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    event = load_event("docs", headers={"x-forwarded-proto": "https", "host": "api.example.com"})
    event["requestContext"]["domainName"] = "api.example.com"

    served = json.loads(lambda_handler(event, lambda_context)["body"])

    assert [server["url"] for server in served["servers"]] == ["https://api.example.com"]
    assert "127.0.0.1" not in json.dumps(served)


def test_root_points_to_the_docs(load_event: EventLoader, lambda_context: FakeLambdaContext) -> None:
    # events/docs_root.json is GET / with no key
    response = lambda_handler(load_event("docs_root"), lambda_context)

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/json"
    body = json.loads(response["body"])
    assert body["docs"] == "http://127.0.0.1:3000/docs"
    assert body["openapi"] == "http://127.0.0.1:3000/openapi.json"
    assert "/docs" in body["message"]


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


def test_every_operation_has_a_summary_and_one_resource_group_in_the_pages_order() -> None:
    document = json.loads(REPO_OPENAPI.read_text(encoding="utf-8"))
    names = [tag["name"] for tag in document["tags"]]
    assert names[:3] == ["Users", "Objects", "Tenants"]
    operations = [(path, operation) for path, item in document["paths"].items() for operation in item.values()]
    assert all(operation["summary"] for _, operation in operations)
    assert all(len(operation["tags"]) == 1 and operation["tags"][0] in names for _, operation in operations)
    tagged = {operation["tags"][0] for _, operation in operations}
    assert tagged == set(names)  # no empty group on the page
    by_path = {path: operation["tags"][0] for path, operation in operations}
    assert by_path["/v1/users/{user_id}/channel_data/{channel_id}"] == "Channel data"
    assert by_path["/v1/users/bulk/preferences"] == "Preferences"
    assert by_path["/v1/users/bulk/identify"] == "Users"
