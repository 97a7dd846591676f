"""What tests/unit/test_log_levels.py runs in a fresh interpreter with the functions' environment.

As on Lambda, the Logger and Metrics are made at import, so they see AWS_LAMBDA_LOG_LEVEL as Lambda
sets it. In moto: identify a user (an INFO line, its metric and the cold-start metric), check a
secret key with no SSM parameter (the authorizer's ERROR line), and write one WARN line through the
service logger. Nothing else is printed.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"


class LambdaContext:
    function_name = "IdentifyFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:IdentifyFunction"
    aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return event


def main() -> None:
    with mock_aws():
        from local.template import create_table_arguments, resources_of_type

        table = resources_of_type("AWS::DynamoDB::Table")["RecipientsTable"]["Properties"]
        boto3.client("dynamodb").create_table(
            TableName=os.environ["RECIPIENTS_TABLE_NAME"], **create_table_arguments(table)
        )
        from functions.authorizer.app import lambda_handler as authorize
        from functions.identify.app import lambda_handler as identify
        from recipients.kernel.observability import logger

        event = sample("identify")
        event["headers"].pop("idempotency-key", None)  # no idempotency table here
        assert identify(event, LambdaContext())["statusCode"] == 200
        assert authorize(sample("authorizer"), LambdaContext())["context"] == {"verdict": "unavailable"}
        logger.warning("log level probe")


if __name__ == "__main__":
    main()
