"""The official knockapi SDK's channel data calls (users and objects), pointed at the API with base_url.

A channel's data is replaced whole by each set, push data is answered in both its forms (`tokens`
and `devices`), and inline `channel_data` on identify, bulk writes and trigger replaces only the
channels it names.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import knockapi
import pytest
from knockapi import Knock
from knockapi.types.recipients.channel_data import DataPushChannelDataFull

from tests.contract.support import wait_for_operation

pytestmark = pytest.mark.contract

NewId = Callable[[str], str]


def _channel() -> str:
    return str(uuid.uuid4())


def _typename(model: knockapi.BaseModel) -> object:
    return (model.model_extra or {}).get("__typename")


def _errors(raised: pytest.ExceptionInfo[knockapi.UnprocessableEntityError]) -> list[str]:
    body = raised.value.body
    assert isinstance(body, dict)
    assert (body["code"], body["status"]) == ("invalid_params", 422)
    return [error["field"] for error in body["errors"]]


def test_push_tokens_are_read_back_as_tokens_and_devices(knock: Knock, new_user_id: NewId) -> None:
    # Given a user id nobody identified, and a push channel
    user_id, channel_id = new_user_id("sdk-cd-tokens"), _channel()

    # When push tokens are set for it through the SDK, and read back
    saved = knock.users.set_channel_data(user_id, channel_id, data={"tokens": ["fcm-1", "fcm-2"]})
    fetched = knock.users.get_channel_data(user_id, channel_id)

    # Then the SDK parses ChannelData, and the tokens come in both forms, devices without locale or timezone
    assert (saved.api_typename, saved.channel_id) == ("ChannelData", channel_id)
    assert saved.data.to_dict() == {
        "tokens": ["fcm-1", "fcm-2"],
        "devices": [
            {"token": "fcm-1", "locale": None, "timezone": None},
            {"token": "fcm-2", "locale": None, "timezone": None},
        ],
    }
    assert fetched == saved
    # and the set created the user, whose answer never carries its channel data
    user = knock.users.get(user_id)
    assert user.id == user_id
    assert "channel_data" not in (user.model_extra or {})


def test_push_devices_keep_their_locale_and_timezone(knock: Knock, new_user_id: NewId) -> None:
    user_id, channel_id = new_user_id("sdk-cd-devices"), _channel()

    knock.users.set_channel_data(
        user_id,
        channel_id,
        data={"devices": [{"token": "apns-1", "locale": "en-GB", "timezone": "Europe/London"}, {"token": "apns-2"}]},
    )

    data = knock.users.get_channel_data(user_id, channel_id).data
    assert isinstance(data, DataPushChannelDataFull)
    assert data.tokens == ["apns-1", "apns-2"]
    assert [(device.token, device.locale, device.timezone) for device in data.devices] == [
        ("apns-1", "en-GB", "Europe/London"),
        ("apns-2", None, None),
    ]


def test_aws_sns_target_arns_are_read_back_in_both_forms(knock: Knock, new_user_id: NewId) -> None:
    user_id, channel_id = new_user_id("sdk-cd-sns"), _channel()
    arn = "arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/app/1"

    knock.users.set_channel_data(user_id, channel_id, data={"target_arns": [arn]})

    assert knock.users.get_channel_data(user_id, channel_id).data.to_dict() == {
        "target_arns": [arn],
        "devices": [{"target_arn": arn, "locale": None, "timezone": None}],
    }


PLAYER_ID, TEAMS_TENANT, TEAMS_USER = (str(uuid.uuid4()) for _ in range(3))


@pytest.mark.parametrize(
    "data",
    [
        {"connections": [{"incoming_webhook": {"url": "https://hooks.slack.com/services/T0/B0/x"}}]},
        {
            "connections": [
                {"access_token": "xoxb-1", "channel_id": "C123", "knock_tenant_id": "acme"},
                {"incoming_webhook": {"url": "https://hooks.slack.com/services/T0/B1/y"}, "knock_tenant_id": "beta"},
            ],
            "token": {"access_token": "xoxb-tenant"},
        },
        {
            "connections": [{"ms_teams_tenant_id": TEAMS_TENANT, "ms_teams_user_id": TEAMS_USER}],
            "ms_teams_tenant_id": TEAMS_TENANT,
        },
        {"connections": [{"incoming_webhook": {"url": "https://example.webhook.office.com/webhookb2/1"}}]},
        {"connections": [{"channel_id": "discord-channel-1"}]},
        {"player_ids": [PLAYER_ID]},
    ],
    ids=["slack-webhook", "slack-tokens-tenant", "ms-teams", "ms-teams-webhook", "discord", "onesignal"],
)
def test_chat_and_onesignal_data_round_trip_as_sent(knock: Knock, new_user_id: NewId, data: Any) -> None:
    # Given a user and a channel
    user_id, channel_id = new_user_id("sdk-cd-chat"), _channel()

    # When that data is set through the SDK and read back
    saved = knock.users.set_channel_data(user_id, channel_id, data=data)
    fetched = knock.users.get_channel_data(user_id, channel_id)

    # Then both answers hold exactly what was sent
    assert saved.data.to_dict() == data
    assert fetched.data.to_dict() == data
    assert (fetched.api_typename, fetched.channel_id) == ("ChannelData", channel_id)


def test_a_second_set_replaces_the_whole_data_of_that_channel_only(knock: Knock, new_user_id: NewId) -> None:
    # Given a user with push tokens on one channel and a Slack webhook on another
    user_id, push, slack = new_user_id("sdk-cd-replace"), _channel(), _channel()
    webhook: Any = {"connections": [{"incoming_webhook": {"url": "https://hooks.slack.com/services/T/B/z"}}]}
    knock.users.set_channel_data(user_id, push, data={"tokens": ["old-1", "old-2"]})
    knock.users.set_channel_data(user_id, slack, data=webhook)

    # When the push channel is set again with one device, then with another kind of data altogether
    knock.users.set_channel_data(user_id, push, data={"devices": [{"token": "new-1", "locale": "fr"}]})
    after_devices = knock.users.get_channel_data(user_id, push).data.to_dict()
    knock.users.set_channel_data(user_id, push, data={"player_ids": [PLAYER_ID]})

    # Then each set replaced what was there (nothing of the earlier tokens is left), the other channel untouched
    assert after_devices == {"tokens": ["new-1"], "devices": [{"token": "new-1", "locale": "fr", "timezone": None}]}
    assert knock.users.get_channel_data(user_id, push).data.to_dict() == {"player_ids": [PLAYER_ID]}
    assert knock.users.get_channel_data(user_id, slack).data.to_dict() == webhook


def test_unset_then_get_raises_not_found_and_unset_is_idempotent(knock: Knock, new_user_id: NewId) -> None:
    # Given a user with data on two channels
    user_id, doomed, kept = new_user_id("sdk-cd-unset"), _channel(), _channel()
    knock.users.set_channel_data(user_id, doomed, data={"tokens": ["t1"]})
    knock.users.set_channel_data(user_id, kept, data={"tokens": ["t2"]})

    # When one channel is unset through the SDK, twice (a 204 each time, which the SDK returns as None)
    knock.users.unset_channel_data(user_id, doomed)
    knock.users.unset_channel_data(user_id, doomed)

    # Then reading it raises NotFoundError with a Knock body; the other channel and the user remain
    with pytest.raises(knockapi.NotFoundError) as raised:
        knock.users.get_channel_data(user_id, doomed)
    assert isinstance(raised.value.body, dict)
    assert (raised.value.body["code"], raised.value.body["status"]) == ("resource_missing", 404)
    assert knock.users.get_channel_data(user_id, kept).data.to_dict()["tokens"] == ["t2"]
    assert knock.users.get(user_id).id == user_id


def test_get_of_a_channel_never_set_raises_not_found(knock: Knock, new_user_id: NewId) -> None:
    # Given an identified user without channel data, and an id nobody identified
    known, unknown = new_user_id("sdk-cd-none"), new_user_id("sdk-cd-nobody")
    knock.users.update(known, name="Ada")

    # When their channel data is read, or unset on the unknown user
    with pytest.raises(knockapi.NotFoundError):
        knock.users.get_channel_data(known, _channel())
    with pytest.raises(knockapi.NotFoundError):
        knock.users.get_channel_data(unknown, _channel())
    knock.users.unset_channel_data(unknown, _channel())

    # Then unsetting did not create the unknown user
    with pytest.raises(knockapi.NotFoundError):
        knock.users.get(unknown)


def test_deleting_a_user_deletes_its_channel_data(knock: Knock, new_user_id: NewId) -> None:
    user_id, channel_id = new_user_id("sdk-cd-deleted"), _channel()
    knock.users.set_channel_data(user_id, channel_id, data={"tokens": ["gone"]})

    knock.users.delete(user_id)
    knock.users.update(user_id, name="Reborn")

    with pytest.raises(knockapi.NotFoundError):
        knock.users.get_channel_data(user_id, channel_id)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"tokens": [1]}, "data.tokens.0"),
        ({"tokens": "fcm-1"}, "data.tokens"),
        ({"devices": [{"locale": "en"}]}, "data.devices.0.token"),
        ({"player_ids": ["not-a-uuid"]}, "data.player_ids.0"),
        ({"connections": [{"incoming_webhook": {}}]}, "data.connections.0.incoming_webhook.url"),
        ({"connections": [{"ms_teams_user_id": "not-a-uuid"}]}, "data.connections.0.ms_teams_user_id"),
        ({"tokens": ["fcm-1"], "badge": 3}, "data.badge"),
    ],
    ids=["token-type", "tokens-not-list", "device-token", "player-id", "webhook-url", "teams-id", "unknown-key"],
)
def test_malformed_data_raises_unprocessable_entity_naming_the_field(
    knock: Knock, new_user_id: NewId, data: Any, field: str
) -> None:
    # Given a user id nobody identified
    user_id, channel_id = new_user_id("sdk-cd-invalid"), _channel()

    # When wrongly shaped data is set
    with pytest.raises(knockapi.UnprocessableEntityError) as raised:
        knock.users.set_channel_data(user_id, channel_id, data=data)

    # Then the 422 names the field, and nothing was written: no channel data, no user
    assert _errors(raised) == [field]
    with pytest.raises(knockapi.NotFoundError):
        knock.users.get_channel_data(user_id, channel_id)
    with pytest.raises(knockapi.NotFoundError):
        knock.users.get(user_id)


def test_a_channel_id_that_is_not_a_uuid_raises_unprocessable_entity(knock: Knock, new_user_id: NewId) -> None:
    user_id = new_user_id("sdk-cd-channel-id")

    with pytest.raises(knockapi.UnprocessableEntityError) as raised:
        knock.users.set_channel_data(user_id, "push-channel", data={"tokens": ["t"]})
    assert _errors(raised) == ["channel_id"]
    with pytest.raises(knockapi.UnprocessableEntityError) as raised:
        knock.users.get_channel_data(user_id, "push-channel")
    assert _errors(raised) == ["channel_id"]


def test_objects_set_get_and_unset_channel_data(knock: Knock, new_collection: NewId) -> None:
    # Given a collection, a chat channel and a push channel
    collection, slack, push = new_collection("sdk-cd-objects"), _channel(), _channel()

    # When an object nobody set gets a tenant-style Slack token and push tokens through the SDK
    tenant_token: Any = {"token": {"access_token": "xoxb-t"}}  # Knock's tenant examples leave connections out
    saved = knock.objects.set_channel_data(collection, "proj_1", slack, data=tenant_token)
    knock.objects.set_channel_data(collection, "proj_1", push, data={"tokens": ["o-1"]})
    fetched = knock.objects.get_channel_data(collection, "proj_1", slack)

    # Then the token is answered with empty connections, and push data in both forms
    assert (saved.api_typename, saved.channel_id) == ("ChannelData", slack)
    assert saved.data.to_dict() == {"connections": [], "token": {"access_token": "xoxb-t"}}
    assert fetched == saved
    assert knock.objects.get_channel_data(collection, "proj_1", push).data.to_dict() == {
        "tokens": ["o-1"],
        "devices": [{"token": "o-1", "locale": None, "timezone": None}],
    }
    # and the set created the object, with no properties and no channel data in its answer
    created = knock.objects.get(collection, "proj_1")
    assert (created.id, created.collection, created.properties) == ("proj_1", collection, {})
    assert "channel_data" not in (created.model_extra or {})

    # When one channel is set again, then unset (twice)
    knock.objects.set_channel_data(collection, "proj_1", push, data={"tokens": ["o-2"]})
    replaced = knock.objects.get_channel_data(collection, "proj_1", push).data.to_dict()
    knock.objects.unset_channel_data(collection, "proj_1", slack)
    knock.objects.unset_channel_data(collection, "proj_1", slack)

    # Then the set replaced the tokens, and reading the unset channel raises NotFoundError
    assert replaced["tokens"] == ["o-2"]
    with pytest.raises(knockapi.NotFoundError):
        knock.objects.get_channel_data(collection, "proj_1", slack)
    with pytest.raises(knockapi.NotFoundError):
        knock.objects.get_channel_data(collection, "other", push)


def test_objects_malformed_data_raises_unprocessable_entity(knock: Knock, new_collection: NewId) -> None:
    collection, channel_id = new_collection("sdk-cd-objects-invalid"), _channel()

    with pytest.raises(knockapi.UnprocessableEntityError) as raised:
        knock.objects.set_channel_data(
            collection,
            "proj_1",
            channel_id,
            data={"connections": [{"ms_teams_tenant_id": "acme"}]},
        )

    assert _errors(raised) == ["data.connections.0.ms_teams_tenant_id"]
    with pytest.raises(knockapi.NotFoundError):
        knock.objects.get(collection, "proj_1")


def test_identify_with_channel_data_replaces_only_the_channels_it_names(knock: Knock, new_user_id: NewId) -> None:
    # Given a user identified with data on two channels
    user_id, push, slack = new_user_id("sdk-cd-inline"), _channel(), _channel()
    webhook: Any = {"connections": [{"incoming_webhook": {"url": "https://hooks.slack.com/services/T/B/i"}}]}
    first = knock.users.update(
        user_id,
        name="Ada",
        channel_data={push: {"tokens": ["i-1", "i-2"]}, slack: webhook},
    )

    # When it is identified again naming the push channel only, then without channel data
    knock.users.update(user_id, channel_data={push: {"devices": [{"token": "i-3", "timezone": "UTC"}]}})
    knock.users.update(user_id, email="ada@example.com")

    # Then the push channel was replaced, the Slack channel kept, and no answer echoes channel data
    assert "channel_data" not in (first.model_extra or {})
    assert knock.users.get_channel_data(user_id, push).data.to_dict() == {
        "tokens": ["i-3"],
        "devices": [{"token": "i-3", "locale": None, "timezone": "UTC"}],
    }
    assert knock.users.get_channel_data(user_id, slack).data.to_dict() == webhook
    assert knock.users.get(user_id).name == "Ada"


def test_identify_with_malformed_channel_data_names_the_field_and_writes_nothing(
    knock: Knock, new_user_id: NewId
) -> None:
    user_id, channel_id = new_user_id("sdk-cd-inline-invalid"), _channel()

    with pytest.raises(knockapi.UnprocessableEntityError) as raised:
        knock.users.update(user_id, name="Ada", channel_data={channel_id: {"tokens": [7]}})  # type: ignore[list-item]

    assert _errors(raised) == [f"channel_data.{channel_id}.tokens.0"]
    with pytest.raises(knockapi.NotFoundError):
        knock.users.get(user_id)


def test_objects_set_with_channel_data_replaces_only_the_channels_it_names(knock: Knock, new_collection: NewId) -> None:
    collection, push, teams = new_collection("sdk-cd-inline-objects"), _channel(), _channel()
    teams_data: Any = {"connections": [{"ms_teams_tenant_id": TEAMS_TENANT}]}
    knock.objects.set(collection, "proj_1", channel_data={push: {"tokens": ["a"]}, teams: teams_data})

    saved = knock.objects.set(collection, "proj_1", name="Apollo", channel_data={push: {"tokens": ["b"]}})

    assert saved.properties == {"name": "Apollo"}
    assert knock.objects.get_channel_data(collection, "proj_1", push).data.to_dict()["tokens"] == ["b"]
    assert knock.objects.get_channel_data(collection, "proj_1", teams).data.to_dict() == teams_data


def test_bulk_identify_and_bulk_set_with_channel_data(knock: Knock, new_user_id: NewId, new_collection: NewId) -> None:
    # Given a user with data on two channels, another id, and a collection
    kept, fresh, collection = new_user_id("sdk-cd-bulk"), new_user_id("sdk-cd-bulk-new"), new_collection("sdk-cd-b")
    push, other = _channel(), _channel()
    knock.users.update(kept, channel_data={push: {"tokens": ["old"]}, other: {"tokens": ["other"]}})

    # When bulk identify names one channel of each user, and bulk set one of an object; each is polled
    users = knock.users.bulk.identify(
        users=[
            {"id": kept, "channel_data": {push: {"tokens": ["new"]}}},
            {"id": fresh, "channel_data": {push: {"player_ids": [PLAYER_ID]}}},
        ]
    )
    objects = knock.objects.bulk.set(collection, objects=[{"id": "p1", "channel_data": {push: {"tokens": ["obj"]}}}])
    finished = [wait_for_operation(knock, users.id), wait_for_operation(knock, objects.id)]

    # Then both completed, replacing the channels named and keeping the others
    assert [(operation.status, operation.success_count) for operation in finished] == [
        ("completed", 2),
        ("completed", 1),
    ]
    assert knock.users.get_channel_data(kept, push).data.to_dict()["tokens"] == ["new"]
    assert knock.users.get_channel_data(kept, other).data.to_dict()["tokens"] == ["other"]
    assert knock.users.get_channel_data(fresh, push).data.to_dict() == {"player_ids": [PLAYER_ID]}
    assert knock.objects.get_channel_data(collection, "p1", push).data.to_dict()["tokens"] == ["obj"]


def test_trigger_with_inline_recipients_sets_their_channel_data(
    knock: Knock, new_user_id: NewId, new_collection: NewId
) -> None:
    user_id, collection, push, slack = new_user_id("sdk-cd-trigger"), new_collection("sdk-cd-t"), _channel(), _channel()
    webhook: Any = {"connections": [{"incoming_webhook": {"url": "https://hooks.slack.com/services/T/B/t"}}]}

    response = knock.workflows.trigger(
        "new-comment",
        recipients=[
            {"id": user_id, "channel_data": {push: {"tokens": ["trig-1"]}}},
            {"id": "proj_1", "collection": collection, "channel_data": {slack: webhook}},
        ],
    )

    assert response.workflow_run_id
    assert knock.users.get_channel_data(user_id, push).data.to_dict()["tokens"] == ["trig-1"]
    assert knock.objects.get_channel_data(collection, "proj_1", slack).data.to_dict() == webhook
