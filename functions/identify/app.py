"""PUT /v1/users/{user_id}: identify (upsert) a user with a shallow merge of the properties sent."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from recipients import service
from recipients.http import documented, http_entrypoint, json_response, make_app
from recipients.models import IdentifyUserRequest, RecipientIdPath, User

app = make_app()


@app.put(
    "/v1/users/<user_id>",
    summary="Identify a user",
    description="Creates the user or merges the properties sent into it (shallow: each key is replaced whole).",
    responses=documented("The user after the merge", User),
)
def identify_user(user_id: RecipientIdPath, body: Annotated[IdentifyUserRequest, Body()]) -> Response[Any]:
    return json_response(200, service.identify_user(user_id, body).to_json())


lambda_handler = http_entrypoint(app)
