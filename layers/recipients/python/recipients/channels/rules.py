"""Checking one channel's data by its shape, and the form it is stored and answered in.

Knock checks channel data against the provider configured for the channel. This service has no
registry of channels, so the kind is told from the keys: `tokens` (or devices with a `token`) is
push, `target_arns` (or devices with a `target_arn`) AWS SNS, `player_ids` OneSignal, and
`connections`, `token` or `ms_teams_tenant_id` chat. Data with none of those keys (a
`http_knock_webhook` channel, whose shape Knock does not document) is stored as sent.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from recipients.channels.models import (
    DiscordData,
    MsTeamsData,
    OneSignalData,
    PushData,
    Shape,
    SlackData,
    SnsData,
    canonical_channel_id,
)
from recipients.kernel.errors import RecipientsError, checked_entries, field_errors
from recipients.kernel.rules import MAX_NESTING_DEPTH, nesting_depth, shortened

_CHAT_KEYS = frozenset({"connections", "token", "ms_teams_tenant_id"})
_SLACK_CONNECTION_KEYS = frozenset({"access_token", "channel_name", "user_id"})
_TEAMS_CONNECTION_KEYS = frozenset(
    {"ms_teams_tenant_id", "ms_teams_team_id", "ms_teams_channel_id", "ms_teams_user_id"}
)


def check_channel_id(value: str, field: str = "channel_id") -> str:
    """The channel id in its canonical form (lower case), or a 422 naming `field`."""
    try:
        return canonical_channel_id(value)
    except ValueError:
        message = f"{shortened(value)} is not a channel id: a channel id is the channel's UUID"
        raise RecipientsError.invalid_field(field, message) from None


def check_channel_data(data: Any, field: str = "data") -> dict[str, Any]:
    """`data` checked against the shape of its kind, in the form it is stored (push data in both forms)."""
    if not isinstance(data, dict):
        raise RecipientsError.invalid_field(field, 'must be a JSON object, like {"tokens": ["..."]}')
    if nesting_depth(data) > MAX_NESTING_DEPTH:
        raise RecipientsError.invalid_field(field, f"is nested more than {MAX_NESTING_DEPTH} levels deep")
    shape = _shape_of(data)
    if shape is None:
        return data
    try:
        parsed = shape.model_validate(data)
    except ValidationError as exc:
        raise RecipientsError.invalid(field_errors(exc.errors(), field)) from None
    if isinstance(parsed, PushData):
        return _both_forms(data, "tokens", "token")
    if isinstance(parsed, SnsData):
        return _both_forms(data, "target_arns", "target_arn")
    if isinstance(parsed, (SlackData, MsTeamsData)) and "connections" not in data:
        return {**data, "connections": []}  # a tenant's token alone: Knock's examples leave connections out
    return data


def check_inline_channel_data(channels: Any, field: str = "channel_data") -> dict[str, dict[str, Any]]:
    """Inline `{channel_id: data}` (identify, bulk, trigger recipients): every channel checked as PUT checks it."""
    if not isinstance(channels, dict):
        raise RecipientsError.invalid_field(field, "must be an object of channel id to that channel's data")

    def check(channel_id: str, data: Any) -> dict[str, Any]:
        check_channel_id(channel_id, field)
        return check_channel_data(data, f"{field}.{channel_id}")

    return {check_channel_id(channel_id): data for channel_id, data in checked_entries(channels, check).items()}


def _shape_of(data: dict[str, Any]) -> type[Shape] | None:
    keys = data.keys()
    device_keys = _keys_of_entries(data.get("devices"))
    if "target_arns" in keys or "target_arn" in device_keys:
        return SnsData
    if "tokens" in keys or "devices" in keys:
        return PushData
    if "player_ids" in keys:
        return OneSignalData
    if keys & _CHAT_KEYS:
        connection_keys = _keys_of_entries(data.get("connections"))
        if "ms_teams_tenant_id" in keys or connection_keys & _TEAMS_CONNECTION_KEYS:
            return MsTeamsData
        if "token" in keys or connection_keys & _SLACK_CONNECTION_KEYS or "connections" not in keys:
            return SlackData
        return DiscordData if "channel_id" in connection_keys else SlackData
    return None


def _keys_of_entries(entries: Any) -> set[str]:
    """Every key of the objects in a list (devices, connections): what tells the kind of data apart."""
    if not isinstance(entries, list):
        return set()
    return {key for entry in entries if isinstance(entry, dict) for key in entry}


def _both_forms(data: dict[str, Any], list_key: str, device_key: str) -> dict[str, Any]:
    """Push data as Knock answers it whichever form was sent: the list, and devices with a null locale and
    timezone where none was given. Devices, when sent, are the source of both."""
    if data.get("devices") is not None:
        devices = [
            {device_key: device[device_key], "locale": device.get("locale"), "timezone": device.get("timezone")}
            for device in data["devices"]
        ]
        return {list_key: [device[device_key] for device in devices], "devices": devices}
    values = data.get(list_key) or []
    return {list_key: values, "devices": [{device_key: value, "locale": None, "timezone": None} for value in values]}
