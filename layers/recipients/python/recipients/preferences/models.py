"""pydantic models of preference sets: the grammar a set is checked against, and the answer.

The bulk body is in preferences/bulk_requests.py, built only by the function that takes it.

A setting is `true`, `false` or `{"conditions": [...]}`; a workflow or category setting may instead
be an object of channel types, channels and conditions. `__strategy__` ("merge" or "replace") may
sit in a workflow or category setting and in `channel_types` and `channels`: it is kept and returned.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from recipients.kernel.models import Model
from recipients.kernel.rules import check_uuid

CHANNEL_TYPES = ("email", "in_app_feed", "sms", "push", "chat", "http")
STRATEGY_KEY = "__strategy__"
PERSISTENCE_KEY = "__persistence_strategy__"
MAX_CONDITIONS = 100
MAX_KEYS = 1000
"""Workflows, categories or channels in one set."""

Operator = Literal[
    "equal_to",
    "not_equal_to",
    "greater_than",
    "less_than",
    "greater_than_or_equal_to",
    "less_than_or_equal_to",
    "contains",
    "not_contains",
    "empty",
    "not_empty",
    "exists",
    "not_exists",
    "contains_all",
    "not_contains_all",
    "is_timestamp",
    "is_not_timestamp",
    "is_timestamp_on_or_after",
    "is_timestamp_before",
    "is_timestamp_on_or_after_date",
    "is_timestamp_before_date",
    "is_timestamp_between",
    "is_between",
    "is_audience_member",
    "is_not_audience_member",
]
Strategy = Literal["merge", "replace"]


class Grammar(Model):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


class Condition(Grammar):
    variable: Annotated[str, AfterValidator(_non_blank)] = Field(description="Like recipient.country_code")
    operator: Operator
    argument: str | None = Field(description="Compared with the variable; null for operators like exists")


class ConditionsSetting(Grammar):
    conditions: list[Condition] = Field(max_length=MAX_CONDITIONS)


def _kind(value: Any) -> str | None:
    """A union branch's tag: an error's location names it, and error messages leave `~` tags out."""
    if isinstance(value, bool):
        return "~bool"
    if isinstance(value, (dict, BaseModel)):  # a model when a validated set is dumped
        return "~object"
    return "~strategy" if isinstance(value, str) else None


_SETTING_ERROR = 'must be true, false or {"conditions": [...]}'
Setting = Annotated[
    Annotated[bool, Tag("~bool")] | Annotated[ConditionsSetting, Tag("~object")],
    Discriminator(_kind, custom_error_type="invalid_setting", custom_error_message=_SETTING_ERROR),
]
"""A channel type's or a channel's setting."""


class ChannelTypeSettings(Grammar):
    """Settings by channel type; a type not given is unset (opted in)."""

    email: Setting | None = None
    in_app_feed: Setting | None = None
    sms: Setting | None = None
    push: Setting | None = None
    chat: Setting | None = None
    http: Setting | None = None
    strategy: Strategy | None = Field(None, alias=STRATEGY_KEY)

    @model_validator(mode="before")
    @classmethod
    def _only_channel_types(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = [key for key in data if key not in CHANNEL_TYPES and key != STRATEGY_KEY]
            if unknown:
                raise ValueError(f"{unknown[0]!r} is not a channel type: use {', '.join(CHANNEL_TYPES)}")
        return data


def _channel_key(key: str) -> str:
    return key if key == STRATEGY_KEY else check_uuid(key)


ChannelSettingOrStrategy = Annotated[
    Annotated[bool, Tag("~bool")]
    | Annotated[ConditionsSetting, Tag("~object")]
    | Annotated[Strategy, Tag("~strategy")],
    Discriminator(_kind, custom_error_type="invalid_setting", custom_error_message=_SETTING_ERROR),
]


def _strategy_only_as_strategy(settings: dict[str, Any]) -> dict[str, Any]:
    for key, value in settings.items():
        if (key == STRATEGY_KEY) != isinstance(value, str):
            raise ValueError(
                f'{key}: `__strategy__` takes "merge" or "replace"'
                if key == STRATEGY_KEY
                else f"{key}: {_SETTING_ERROR}"
            )
    return settings


ChannelSettings = Annotated[
    dict[Annotated[str, AfterValidator(_channel_key)], ChannelSettingOrStrategy],
    AfterValidator(_strategy_only_as_strategy),
]
"""Settings by channel id (a UUID), and optionally `__strategy__`."""


class WorkflowSettingObject(Grammar):
    channel_types: ChannelTypeSettings | None = None
    channels: ChannelSettings | None = Field(None, max_length=MAX_KEYS)
    conditions: list[Condition] | None = Field(None, max_length=MAX_CONDITIONS)
    strategy: Strategy | None = Field(None, alias=STRATEGY_KEY)


_WORKFLOW_SETTING_ERROR = "must be true, false or an object of channel_types, channels and conditions"
WorkflowSetting = Annotated[
    Annotated[bool, Tag("~bool")] | Annotated[WorkflowSettingObject, Tag("~object")],
    Discriminator(_kind, custom_error_type="invalid_setting", custom_error_message=_WORKFLOW_SETTING_ERROR),
]
"""A workflow's or a category's setting."""
Key = Annotated[str, Field(min_length=1, max_length=255)]


class PreferenceSetBody(Grammar):
    """What a preference set holds; every key optional, null clears it."""

    categories: dict[Key, WorkflowSetting] | None = Field(None, max_length=MAX_KEYS)
    channel_types: ChannelTypeSettings | None = None
    channels: ChannelSettings | None = Field(None, max_length=MAX_KEYS)
    workflows: dict[Key, WorkflowSetting] | None = Field(None, max_length=MAX_KEYS)
    commercial_subscribed: Setting | None = None


class PreferenceSetRequest(PreferenceSetBody):
    """Body of `PUT …/preferences/{id}`: replaces the set, or deep-merges into it with "merge"."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "channel_types": {"email": True, "sms": False},
                "workflows": {"new-comment": {"channel_types": {"push": False}}},
            }
        }
    )

    persistence_strategy: Strategy = Field("replace", alias=PERSISTENCE_KEY)


class SubscribedSetting(Grammar):
    """Body of the granular `PUT …/channel_types/{type}` (and of a workflow or category, as a bool)."""

    subscribed: bool


class PreferenceSet(Model):
    """A preference set as answered: every key, null where unset."""

    typename: Literal["PreferenceSet"] = Field("PreferenceSet", alias="__typename")
    id: str
    categories: dict[str, Any] | None = None
    channel_types: dict[str, Any] | None = None
    channels: dict[str, Any] | None = None
    workflows: dict[str, Any] | None = None
    commercial_subscribed: bool | dict[str, Any] | None = None
