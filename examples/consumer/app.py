"""An example consumer of Recipients' `workflow.triggered` events: each part of a run is handled once.

EventBridge delivers an event at least once, and a fan-out redelivered after a crash puts a part
again, so the same (workflow_run_id, part) may arrive twice; both copies hold the same recipients.
The function records the part with a conditional PutItem before handling it: a part already
recorded is skipped, and a part whose handling failed is forgotten again so that the retry handles it.

A run's data is in the event (`data`) or, when too large for it, in the Recipients bucket
(`data_ref`: read `s3://<bucket>/<key>`, granting this function s3:GetObject on it).
"""

from __future__ import annotations

import os
import time
from typing import Any

import boto3

SECONDS_PER_DAY = 86_400


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    detail = event["detail"]
    run_part = f"{detail['workflow_run_id']}#{detail['part']}"
    table = boto3.resource("dynamodb").Table(os.environ["SEEN_PARTS_TABLE"])
    retention = int(os.environ.get("SEEN_PARTS_RETENTION_DAYS", "2")) * SECONDS_PER_DAY
    try:
        table.put_item(
            Item={"run_part": run_part, "expires_at": int(time.time()) + retention},
            ConditionExpression="attribute_not_exists(run_part)",
        )
    except table.meta.client.exceptions.ConditionalCheckFailedException:
        return {"skipped": run_part}
    try:
        deliver(detail)
    except Exception:
        table.delete_item(Key={"run_part": run_part})
        raise
    return {"delivered": run_part}


def deliver(detail: dict[str, Any]) -> None:
    """Where a delivery engine would render and send the workflow's messages to each recipient."""
    for recipient in detail["recipients"]:
        where = f"{recipient['collection']}/{recipient['id']}" if "collection" in recipient else recipient["id"]
        print(f"{detail['workflow_key']} run {detail['workflow_run_id']} part {detail['part']}: {where}")
