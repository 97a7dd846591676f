"""What `local/emulator.py` copies from AWS beyond the functions' own code: moto server taking the
longest UpdateExpression DynamoDB accepts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
SET_ACTIONS = 600
# Run in a fresh interpreter: this one already raised its limits for in-process moto (tests/conftest.py).
LONG_UPDATE = f"""
import boto3
from botocore.config import Config
from local.emulator import start_moto

server, url = start_moto(0)
client = boto3.client(
    "dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
    aws_secret_access_key="testing", config=Config(retries={{"total_max_attempts": 1}}),
)
client.create_table(
    TableName="t", BillingMode="PAY_PER_REQUEST",
    KeySchema=[{{"AttributeName": "pk", "KeyType": "HASH"}}],
    AttributeDefinitions=[{{"AttributeName": "pk", "AttributeType": "S"}}],
)
client.update_item(
    TableName="t", Key={{"pk": {{"S": "x"}}}},
    UpdateExpression="SET " + ",".join(f"#a{{i}}=:v{{i}}" for i in range({SET_ACTIONS})),
    ExpressionAttributeNames={{f"#a{{i}}": f"k{{i}}" for i in range({SET_ACTIONS})}},
    ExpressionAttributeValues={{f":v{{i}}": {{"S": str(i)}} for i in range({SET_ACTIONS})}},
)
item = client.get_item(TableName="t", Key={{"pk": {{"S": "x"}}}})["Item"]
print(sorted(int(value["S"]) for name, value in item.items() if name != "pk") == list(range({SET_ACTIONS})))
server.stop()
"""


def test_emulator_moto_server_takes_an_update_item_of_600_set_actions() -> None:
    # Given moto server as the emulator starts it, in a process of its own
    # When one UpdateItem sets 600 attributes (moto's parser recursed too deep from 157 on)
    result = subprocess.run(
        [sys.executable, "-c", LONG_UPDATE], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )

    # Then it succeeds and the item holds every attribute
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "True"
