"""POST /v1/users/{user_id}/merge: fold another user into this one (shallow; this user's keys win)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from recipients.http.app import documented, http_entrypoint, json_response, make_app
from recipients.identity.models import RecipientIdPath
from recipients.users import service
from recipients.users.models import User
from recipients.users.requests import MergeUserRequest

app = make_app()


@app.post(
    "/v1/users/<user_id>/merge",
    summary="Merge a user into another",
    description="Keys the user lacks are copied from `from_user_id`, which is then deleted. Cannot be undone.",
    responses=documented("The user after the merge", User),
)
def merge_users(user_id: RecipientIdPath, body: Annotated[MergeUserRequest, Body()]) -> Response[Any]:
    return json_response(200, service.merge_users(user_id, body.from_user_id).to_json())


lambda_handler = http_entrypoint(app)
