"""GET, PUT and DELETE /v1/users/{user_id}/channel_data/{channel_id}, and the same for objects."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from recipients.channels import service
from recipients.channels.models import ChannelData, ChannelDataRequest, ChannelIdPath
from recipients.http.app import documented, http_entrypoint, json_response, make_app
from recipients.identity.models import ObjectCollectionPath, RecipientIdPath, RecipientRef
from recipients.kernel import jsontext

app = make_app()
USER = "/v1/users/<user_id>/channel_data/<channel_id>"
OBJECT = "/v1/objects/<collection>/<object_id>/channel_data/<channel_id>"
SET = "Replaces the channel's whole data; creates the recipient if there is none. Push data is answered in both forms."


def _answer(channel_data: ChannelData) -> Response[Any]:
    return json_response(200, jsontext.dumps(channel_data.to_wire()))


@app.get(USER, summary="Get a user's channel data", responses=documented("The channel data", ChannelData))
def get_user_channel_data(user_id: RecipientIdPath, channel_id: ChannelIdPath) -> Response[Any]:
    return _answer(service.get_channel_data(RecipientRef(id=user_id), channel_id))


@app.put(USER, summary="Set a user's channel data", description=SET, responses=documented("Set", ChannelData))
def set_user_channel_data(
    user_id: RecipientIdPath, channel_id: ChannelIdPath, body: Annotated[ChannelDataRequest, Body()]
) -> Response[Any]:
    return _answer(service.set_channel_data(RecipientRef(id=user_id), channel_id, body.data))


@app.delete(USER, summary="Unset a user's channel data", responses=documented("Unset", status=204))
def unset_user_channel_data(user_id: RecipientIdPath, channel_id: ChannelIdPath) -> Response[Any]:
    service.unset_channel_data(RecipientRef(id=user_id), channel_id)
    return Response(status_code=204, body="")


@app.get(OBJECT, summary="Get an object's channel data", responses=documented("The channel data", ChannelData))
def get_object_channel_data(
    collection: ObjectCollectionPath, object_id: RecipientIdPath, channel_id: ChannelIdPath
) -> Response[Any]:
    return _answer(service.get_channel_data(RecipientRef(id=object_id, collection=collection), channel_id))


@app.put(OBJECT, summary="Set an object's channel data", description=SET, responses=documented("Set", ChannelData))
def set_object_channel_data(
    collection: ObjectCollectionPath,
    object_id: RecipientIdPath,
    channel_id: ChannelIdPath,
    body: Annotated[ChannelDataRequest, Body()],
) -> Response[Any]:
    recipient = RecipientRef(id=object_id, collection=collection)
    return _answer(service.set_channel_data(recipient, channel_id, body.data))


@app.delete(OBJECT, summary="Unset an object's channel data", responses=documented("Unset", status=204))
def unset_object_channel_data(
    collection: ObjectCollectionPath, object_id: RecipientIdPath, channel_id: ChannelIdPath
) -> Response[Any]:
    service.unset_channel_data(RecipientRef(id=object_id, collection=collection), channel_id)
    return Response(status_code=204, body="")


lambda_handler = http_entrypoint(app)
