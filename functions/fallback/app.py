"""The API's $default route: a Knock-shaped 404 for unknown paths (`not_implemented` for Knock's routes this
service does not serve), 405 for a known path's wrong method."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from recipients.http.app import http_entrypoint, make_app
from recipients.http.routes import unrouted_response

app = make_app()


@app.not_found
def unrouted(ex: NotFoundError) -> Response[Any]:
    return unrouted_response(app.current_event.request_context.http.method, app.current_event.raw_path)


lambda_handler = http_entrypoint(app)
