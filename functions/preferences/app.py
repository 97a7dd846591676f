"""A user's or an object's preference sets: list, get, set (replace or merge), unset, and the granular sets
the JS client still calls (channel types, workflows, categories)."""

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from recipients.http.app import documented, http_entrypoint, json_response, make_app
from recipients.identity.models import ObjectCollectionPath, RecipientIdPath, RecipientRef
from recipients.kernel import jsontext
from recipients.preferences import service
from recipients.preferences.models import PreferenceSet, PreferenceSetRequest, SubscribedSetting

app = make_app()
USER = "/v1/users/<user_id>/preferences"
OBJECT = "/v1/objects/<collection>/<object_id>/preferences"
SetId = RecipientIdPath
ChannelType = Literal["email", "in_app_feed", "sms", "push", "chat", "http"]
Group = Literal["workflows", "categories"]
Tenant = Annotated[
    str | None,
    Query(
        description="A tenant id: answers the recipient's set for that tenant (the set whose id is the tenant "
        "id) deep-merged over the tenant's settings.preference_set, the recipient's values winning except "
        'where the tenant\'s say `"__strategy__": "replace"`; when neither exists, the requested set. There '
        "are no environment-level defaults: what is unset is opted in."
    ),
]
Settings = Annotated[dict[str, Any], Body(description="Setting by key: true, false or a setting object")]
Setting = Annotated[dict[str, Any], Body(description='`{"subscribed": bool}` or a setting object')]
SET_ONE = documented("The preference set as stored", PreferenceSet)
GOT = documented("The preference set as stored, or as resolved for the tenant", PreferenceSet)
PUT = (
    'Replaces the set, or deep-merges into it with `"__persistence_strategy__": "merge"` (objects merged key '
    "by key, everything else replaced). Creates the recipient if there is none."
)


def _answer(preference_set: dict[str, Any]) -> Response[Any]:
    return json_response(200, jsontext.dumps(preference_set))


def _user(user_id: str) -> RecipientRef:
    return RecipientRef(id=user_id)


def _object(collection: str, object_id: str) -> RecipientRef:
    return RecipientRef(id=object_id, collection=collection)


def _unset(recipient: RecipientRef, set_id: str) -> Response[Any]:
    service.unset_preference_set(recipient, set_id)
    return Response(status_code=204, body="")


def _keyed(recipient: RecipientRef, set_id: str, group: Group, key: str | None, body: dict[str, Any]) -> Response[Any]:
    if key is None:
        return _answer(service.set_keyed_settings(recipient, set_id, group, body))
    return _answer(service.set_keyed_setting(recipient, set_id, group, key, body))


@app.get(USER, summary="List a user's preference sets", responses=documented("Every set", list[PreferenceSet]))
def list_user_sets(user_id: RecipientIdPath) -> Response[Any]:
    return json_response(200, jsontext.dumps(service.list_preference_sets(_user(user_id))))


@app.get(USER + "/<set_id>", summary="Get a user's preference set", responses=GOT)
def get_user_set(user_id: RecipientIdPath, set_id: SetId, tenant: Tenant = None) -> Response[Any]:
    return _answer(service.get_preference_set(_user(user_id), set_id, tenant))


@app.put(USER + "/<set_id>", summary="Set a user's preference set", description=PUT, responses=SET_ONE)
def set_user_set(
    user_id: RecipientIdPath, set_id: SetId, body: Annotated[PreferenceSetRequest, Body()]
) -> Response[Any]:
    return _answer(service.set_preference_set(_user(user_id), set_id, body))


@app.delete(USER + "/<set_id>", summary="Unset a user's preference set", responses=documented("Unset", status=204))
def unset_user_set(user_id: RecipientIdPath, set_id: SetId) -> Response[Any]:
    return _unset(_user(user_id), set_id)


@app.put(USER + "/<set_id>/channel_types", summary="Set a user's channel type settings", responses=SET_ONE)
def set_user_channel_types(user_id: RecipientIdPath, set_id: SetId, body: Settings) -> Response[Any]:
    return _answer(service.set_channel_types(_user(user_id), set_id, body))


@app.put(USER + "/<set_id>/channel_types/<channel_type>", summary="Set one channel type", responses=SET_ONE)
def set_user_channel_type(
    user_id: RecipientIdPath, set_id: SetId, channel_type: ChannelType, body: Annotated[SubscribedSetting, Body()]
) -> Response[Any]:
    return _answer(service.set_channel_type(_user(user_id), set_id, channel_type, body.subscribed))


@app.get(OBJECT, summary="List an object's preference sets", responses=documented("Every set", list[PreferenceSet]))
def list_object_sets(collection: ObjectCollectionPath, object_id: RecipientIdPath) -> Response[Any]:
    return json_response(200, jsontext.dumps(service.list_preference_sets(_object(collection, object_id))))


@app.get(OBJECT + "/<set_id>", summary="Get an object's preference set", responses=GOT)
def get_object_set(
    collection: ObjectCollectionPath, object_id: RecipientIdPath, set_id: SetId, tenant: Tenant = None
) -> Response[Any]:
    return _answer(service.get_preference_set(_object(collection, object_id), set_id, tenant))


@app.put(OBJECT + "/<set_id>", summary="Set an object's preference set", description=PUT, responses=SET_ONE)
def set_object_set(
    collection: ObjectCollectionPath,
    object_id: RecipientIdPath,
    set_id: SetId,
    body: Annotated[PreferenceSetRequest, Body()],
) -> Response[Any]:
    return _answer(service.set_preference_set(_object(collection, object_id), set_id, body))


@app.delete(OBJECT + "/<set_id>", summary="Unset an object's preference set", responses=documented("Unset", status=204))
def unset_object_set(collection: ObjectCollectionPath, object_id: RecipientIdPath, set_id: SetId) -> Response[Any]:
    return _unset(_object(collection, object_id), set_id)


@app.put(OBJECT + "/<set_id>/channel_types", summary="Set an object's channel type settings", responses=SET_ONE)
def set_object_channel_types(
    collection: ObjectCollectionPath, object_id: RecipientIdPath, set_id: SetId, body: Settings
) -> Response[Any]:
    return _answer(service.set_channel_types(_object(collection, object_id), set_id, body))


@app.put(OBJECT + "/<set_id>/channel_types/<channel_type>", summary="Set one channel type", responses=SET_ONE)
def set_object_channel_type(
    collection: ObjectCollectionPath,
    object_id: RecipientIdPath,
    set_id: SetId,
    channel_type: ChannelType,
    body: Annotated[SubscribedSetting, Body()],
) -> Response[Any]:
    return _answer(service.set_channel_type(_object(collection, object_id), set_id, channel_type, body.subscribed))


def _keyed_routes(group: Group) -> None:
    """The routes that set a set's workflows or categories (`group`), whole or one key, for users and objects."""
    what = {"workflows": "workflow", "categories": "category"}[group]

    @app.put(f"{USER}/<set_id>/{group}", summary=f"Set a user's {what} settings", responses=SET_ONE)
    def set_user_settings(user_id: RecipientIdPath, set_id: SetId, body: Settings) -> Response[Any]:
        return _keyed(_user(user_id), set_id, group, None, body)

    @app.put(f"{USER}/<set_id>/{group}/<key>", summary=f"Set one {what} of a user", responses=SET_ONE)
    def set_user_setting(user_id: RecipientIdPath, set_id: SetId, key: SetId, body: Setting) -> Response[Any]:
        return _keyed(_user(user_id), set_id, group, key, body)

    @app.put(f"{OBJECT}/<set_id>/{group}", summary=f"Set an object's {what} settings", responses=SET_ONE)
    def set_object_settings(
        collection: ObjectCollectionPath, object_id: RecipientIdPath, set_id: SetId, body: Settings
    ) -> Response[Any]:
        return _keyed(_object(collection, object_id), set_id, group, None, body)

    @app.put(f"{OBJECT}/<set_id>/{group}/<key>", summary=f"Set one {what} of an object", responses=SET_ONE)
    def set_object_setting(
        collection: ObjectCollectionPath, object_id: RecipientIdPath, set_id: SetId, key: SetId, body: Setting
    ) -> Response[Any]:
        return _keyed(_object(collection, object_id), set_id, group, key, body)


_keyed_routes("workflows")
_keyed_routes("categories")


lambda_handler = http_entrypoint(app)
