"""DELETE /v1/users/{user_id}: hard delete; the id can be identified again later and starts blank."""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from recipients.http.app import documented, http_entrypoint, make_app
from recipients.identity.models import RecipientIdPath
from recipients.users import service

app = make_app()


@app.delete(
    "/v1/users/<user_id>",
    summary="Delete a user",
    responses=documented("Deleted", status=204),
)
def delete_user(user_id: RecipientIdPath) -> Response[Any]:
    service.delete_user(user_id)
    return Response(status_code=204, body="")


lambda_handler = http_entrypoint(app)
