"""moto's UpdateExpression parser recurses once per SET action: in-process moto must take the longest
write the service sends (250 keys plus the item's own attributes in one UpdateItem)."""

from __future__ import annotations

import json

from functions.get.app import lambda_handler as get_handler
from functions.identify.app import lambda_handler as identify_handler
from recipients.identity.merge import MAX_KEYS_PER_WRITE
from tests.conftest import EventLoader, FakeLambdaContext


def test_identify_with_the_most_keys_one_write_takes_is_stored_and_read_back(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str, idempotency_table: str
) -> None:
    # Given an identify with 250 custom properties: one UpdateItem of about 255 SET actions
    properties = {f"custom_{i}": i for i in range(MAX_KEYS_PER_WRITE)}

    # When it is sent and the user read back
    written = identify_handler(load_event("identify", body=properties), lambda_context)
    read = get_handler(load_event("get"), lambda_context)

    # Then moto took the write (the default recursion limit breaks at about 150 actions) and kept every key
    assert written["statusCode"] == 200, written["body"]
    assert read["statusCode"] == 200, read["body"]
    user = json.loads(read["body"])
    assert {key: user[key] for key in properties} == properties
