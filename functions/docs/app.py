"""GET /, GET /openapi.json and GET /docs: where the docs are, the API's OpenAPI document and a Swagger UI page
for it, no key needed."""

from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response

from recipients.http import docs
from recipients.http.app import http_entrypoint, json_response, make_app, request_base_url
from recipients.kernel import jsontext

OPENAPI_DOCUMENT = Path(__file__).with_name("openapi.json")  # a copy of the repository's, written by `make openapi`

app = make_app()


@app.get("/", include_in_schema=False)
def root() -> Response[Any]:
    return json_response(200, jsontext.dumps(docs.index(request_base_url(app))))


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[Any]:
    return json_response(200, docs.openapi_document(OPENAPI_DOCUMENT, request_base_url(app)))


@app.get("/docs", include_in_schema=False, compress=True)
def swagger_ui() -> Response[Any]:
    page = docs.swagger_ui("openapi.json", "Recipients API")
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=page)


lambda_handler = http_entrypoint(app, public=True)  # its routes are all `Auth: Authorizer: NONE` in template.yaml
