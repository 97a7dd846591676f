"""pydantic models of channel data: the shapes Knock accepts for each kind of channel, and the answer.

Without a registry of channels, the kind is told from the keys of `data` (see rules.py). Every
model is strict: a token must be a string, a list a list.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Discriminator, Field, Tag

from recipients.kernel.models import Model
from recipients.kernel.rules import check_token, check_uuid, decode_path_segment


def canonical_channel_id(value: str) -> str:
    """A channel id is a UUID, which is the same in either case: kept and answered in lower case."""
    return check_uuid(value).lower()


ChannelIdPath = Annotated[str, BeforeValidator(decode_path_segment), AfterValidator(canonical_channel_id)]
"""A channel id from a URL path segment: the channel's UUID."""

Text = Annotated[str, AfterValidator(check_token)]
UuidText = Annotated[str, AfterValidator(check_uuid)]
MAX_ENTRIES = 1000
"""Tokens, devices or connections in one channel's data."""


class Shape(Model):
    model_config = ConfigDict(extra="forbid", strict=True)


class PushDevice(Shape):
    token: Text
    locale: str | None = None
    timezone: str | None = None


class PushData(Shape):
    """FCM, APNs, Expo: `tokens`, or `devices` with a locale and timezone each (both, and devices win)."""

    tokens: list[Text] | None = Field(None, max_length=MAX_ENTRIES)
    devices: list[PushDevice] | None = Field(None, max_length=MAX_ENTRIES)


class SnsDevice(Shape):
    target_arn: Text
    locale: str | None = None
    timezone: str | None = None


class SnsData(Shape):
    """AWS SNS: `target_arns`, or `devices` with a target ARN each."""

    target_arns: list[Text] | None = Field(None, max_length=MAX_ENTRIES)
    devices: list[SnsDevice] | None = Field(None, max_length=MAX_ENTRIES)


class OneSignalData(Shape):
    player_ids: list[UuidText] = Field(max_length=MAX_ENTRIES)


class IncomingWebhook(Shape):
    url: Text


class WebhookConnection(Shape):
    incoming_webhook: IncomingWebhook
    knock_tenant_id: str | None = None


class SlackTokenConnection(Shape):
    access_token: str | None = None
    channel_id: str | None = None
    channel_name: str | None = None
    user_id: str | None = None
    knock_tenant_id: str | None = None


class SlackToken(Shape):
    access_token: str | None = None


def _connection_kind(value: Any) -> str:
    """A union branch's tag: an error's location names it, and error messages leave `~` tags out."""
    webhook = isinstance(value, WebhookConnection) or (isinstance(value, dict) and "incoming_webhook" in value)
    return "~webhook" if webhook else "~ids"


SlackConnection = Annotated[
    Annotated[SlackTokenConnection, Tag("~ids")] | Annotated[WebhookConnection, Tag("~webhook")],
    Discriminator(_connection_kind),
]


class SlackData(Shape):
    """Slack: connections (a token's channel or user, or an incoming webhook); a tenant's `token` alone."""

    connections: list[SlackConnection] = Field(default_factory=list, max_length=MAX_ENTRIES)
    token: SlackToken | None = None


class MsTeamsTokenConnection(Shape):
    ms_teams_tenant_id: UuidText | None = None
    ms_teams_team_id: UuidText | None = None
    ms_teams_channel_id: UuidText | None = None
    ms_teams_user_id: UuidText | None = None
    knock_tenant_id: str | None = None


MsTeamsConnection = Annotated[
    Annotated[MsTeamsTokenConnection, Tag("~ids")] | Annotated[WebhookConnection, Tag("~webhook")],
    Discriminator(_connection_kind),
]


class MsTeamsData(Shape):
    """Microsoft Teams: connections (ids, or an incoming webhook); a tenant's `ms_teams_tenant_id` alone."""

    connections: list[MsTeamsConnection] = Field(default_factory=list, max_length=MAX_ENTRIES)
    ms_teams_tenant_id: UuidText | None = None


class DiscordChannelConnection(Shape):
    channel_id: Text
    knock_tenant_id: str | None = None


DiscordConnection = Annotated[
    Annotated[DiscordChannelConnection, Tag("~ids")] | Annotated[WebhookConnection, Tag("~webhook")],
    Discriminator(_connection_kind),
]


class DiscordData(Shape):
    connections: list[DiscordConnection] = Field(max_length=MAX_ENTRIES)


class ChannelDataRequest(Model):
    """Body of `PUT …/channel_data/{channel_id}`: the channel's whole data, which replaces what was there."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"example": {"data": {"tokens": ["fcm-token-1"]}}},
    )

    data: dict[str, Any] = Field(
        description=(
            "One of: push `{tokens}` or `{devices: [{token, locale, timezone}]}`; AWS SNS `{target_arns}` or "
            "`{devices: [{target_arn, ...}]}`; OneSignal `{player_ids}`; Slack, Microsoft Teams or Discord "
            "`{connections: [...]}` (Slack `token`, Teams `ms_teams_tenant_id` on tenants)"
        )
    )


class ChannelData(Model):
    """A recipient's data for one channel, as stored (push data in both its forms)."""

    typename: Literal["ChannelData"] = Field("ChannelData", alias="__typename")
    channel_id: str
    data: dict[str, Any]

    def to_wire(self) -> dict[str, Any]:
        return {"__typename": "ChannelData", "channel_id": self.channel_id, "data": self.data}
