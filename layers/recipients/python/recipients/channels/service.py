"""The channel data use cases: get, set (replacing the channel's whole data) and unset, for users and objects.

A channel's data is one attribute of the recipient's item (`chan:<channel id>`), so each call is
one DynamoDB request. Setting it creates the recipient when there is none, as Knock does.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from recipients.channels.models import ChannelData
from recipients.channels.rules import check_channel_data, check_channel_id
from recipients.identity.merge import CHANNEL_DATA_PREFIX, sets
from recipients.identity.models import RecipientRef, log_keys
from recipients.identity.store import check_fits, get_recipient_store
from recipients.kernel import jsontext
from recipients.kernel.errors import ErrorKind, RecipientsError
from recipients.kernel.observability import logger, metrics


def get_channel_data(recipient: RecipientRef, channel_id: str) -> ChannelData:
    channel_id = check_channel_id(channel_id)
    name = CHANNEL_DATA_PREFIX + channel_id
    item = get_recipient_store().get(recipient, names=[name])
    if item is None or name not in item:
        raise RecipientsError(
            ErrorKind.NOT_FOUND, "resource_missing", f"no data for channel {channel_id} on {_described(recipient)}"
        )
    metrics.add_metric(name="ChannelDataFetched", unit=MetricUnit.Count, value=1)
    return ChannelData(channel_id=channel_id, data=jsontext.loads(item[name]["S"]))


def set_channel_data(recipient: RecipientRef, channel_id: str, data: dict[str, Any]) -> ChannelData:
    checked = check_channel_data(data)
    channel_id = check_channel_id(channel_id)
    name = CHANNEL_DATA_PREFIX + channel_id
    text = jsontext.dumps(checked)
    check_fits(text, "data")
    get_recipient_store().upsert(recipient, sets({name: text}))
    logger.info("channel data set", extra={**log_keys(recipient), "channel_id": channel_id})
    metrics.add_metric(name="ChannelDataSet", unit=MetricUnit.Count, value=1)
    return ChannelData(channel_id=channel_id, data=checked)


def unset_channel_data(recipient: RecipientRef, channel_id: str) -> None:
    """Idempotent: unsetting a channel that holds nothing succeeds too."""
    removed = get_recipient_store().remove(recipient, CHANNEL_DATA_PREFIX + check_channel_id(channel_id))
    logger.info("channel data unset", extra={**log_keys(recipient), "channel_id": channel_id, "removed": removed})
    metrics.add_metric(name="ChannelDataUnset", unit=MetricUnit.Count, value=1)


def _described(recipient: RecipientRef) -> str:
    return f"user {recipient.id}" if recipient.collection is None else f"object {recipient.collection}/{recipient.id}"
