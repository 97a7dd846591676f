"""GET /v1/users/{user_id} and GET /v1/users (cursor pagination)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from recipients.http.app import (
    AfterCursor,
    BeforeCursor,
    Include,
    PageSize,
    documented,
    http_entrypoint,
    json_response,
    make_app,
)
from recipients.identity.models import RecipientIdPath
from recipients.users import service
from recipients.users.models import User, UserPage

app = make_app()


@app.get(
    "/v1/users/<user_id>",
    summary="Get a user",
    responses=documented("The user", User),
)
def get_user(user_id: RecipientIdPath) -> Response[Any]:
    return json_response(200, service.get_user(user_id).to_json())


@app.get(
    "/v1/users",
    summary="List users",
    description="Pages in a stable order. Follow `page_info.after` until it is null.",
    responses=documented("A page of users", UserPage),
)
def list_users(
    page_size: PageSize = 50,
    after: AfterCursor = None,
    before: BeforeCursor = None,
    include: Include = None,
) -> Response[Any]:
    preferences = "preferences" in (include or [])
    return json_response(200, service.list_users(page_size, after, before, preferences=preferences).to_json())


lambda_handler = http_entrypoint(app)
