"""GET /console and GET /console/{asset}: the operators' web console, no key needed to load it.

Every data call the page makes goes to the API with the secret key the person signs in with.
"""

from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response

from recipients.http import console
from recipients.http.app import http_entrypoint, make_app

STATIC = Path(__file__).with_name("static")  # the page, its ES modules and its stylesheet

app = make_app()


@app.get("/console", include_in_schema=False, compress=True)
def console_page() -> Response[Any]:
    return console.respond(console.page(STATIC), app.current_event.headers.get("if-none-match"))


@app.get("/console/<asset>", include_in_schema=False, compress=True)
def console_asset(asset: str) -> Response[Any]:
    return console.respond(console.asset(STATIC, asset), app.current_event.headers.get("if-none-match"))


lambda_handler = http_entrypoint(app, public=True)  # both routes are `Auth: Authorizer: NONE` in template.yaml
