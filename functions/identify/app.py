"""PUT /v1/users/{user_id}: identify (upsert) a user with a shallow merge of the properties sent."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from recipients.http.app import documented, http_entrypoint, make_app
from recipients.http.idempotency import IdempotencyKeyHeader, idempotent_json_response
from recipients.identity.models import RecipientIdPath
from recipients.users.identify import check_identify_user, identify_user
from recipients.users.models import User
from recipients.users.requests import IdentifyUserRequest

app = make_app()


@app.put(
    "/v1/users/<user_id>",
    summary="Identify a user",
    description="Creates the user or merges the properties sent into it (shallow: each key is replaced whole).",
    responses=documented("The user after the merge", User),
    openapi_extensions={"x-idempotent": True},
)
def identify(
    user_id: RecipientIdPath,
    body: Annotated[IdentifyUserRequest, Body()],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[Any]:
    plan = check_identify_user(user_id, body)

    def write() -> str:
        return identify_user(user_id, plan).to_json()

    return idempotent_json_response(app, "identify", idempotency_key, {"user_id": user_id, "body": body}, write)


lambda_handler = http_entrypoint(app)
