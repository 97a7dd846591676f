"""The recipients table's stream as Lambda would deliver it, read from what moto stores.

In-process moto (`mock_aws`) answers DynamoDB Streams' DescribeStream with "not yet implemented", but
it records every write in the table's stream shard: those records, made Lambda-shaped by the local
poller's own conversion (and without moto's keys-only INSERT placeholders), are the events here.
"""

from __future__ import annotations

import os
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from local.streams import is_placeholder, lambda_record


class StreamReader:
    """Reads a table's stream from where it left off, like an event source mapping."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.position = 0

    def _shard(self) -> Any:
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]].get_table(self.table_name)
        return table, table.stream_shard

    def skip(self) -> None:
        """Start after everything recorded so far."""
        self.position = len(self._shard()[1].items)

    def read(self) -> list[dict[str, Any]]:
        """The Lambda records of the writes since the last read, in order."""
        table, shard = self._shard()
        arn = f"{table.table_arn}/stream/{table.latest_stream_label}"
        items = shard.items[self.position :]
        self.position += len(items)
        records = [lambda_record(item.to_json(), arn) for item in items]
        return [record for record in records if not is_placeholder(record)]
