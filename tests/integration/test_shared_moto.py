"""One moto server, many emulators: `make run` and any number of `make invoke` runs share its data.

`RECIPIENTS_MOTO_URL` points an emulator at a moto server that is already running (`make run`
prints its URL). Each emulator creates the template's resources there, reusing whatever exists.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from local.emulator import DEFAULT_PUBLIC_API_KEY, LocalResources, create_resources
from local.template import load_template, parameter_defaults, resources_of_type
from recipients.auth.keys import hash_key, parse_key_hashes

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


@pytest.fixture
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    httpx.post(f"{url}/moto-api/reset")  # an in-process moto server keeps the state of earlier ones
    yield url
    httpx.post(f"{url}/moto-api/reset")
    server.stop()


def make_invoke(moto_url: str, function: str, event: str, api_key: str = "sk_test_local") -> dict[str, Any]:
    """`make invoke FN=<function> EVENT=<event>` with RECIPIENTS_MOTO_URL set: its result, parsed."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "POWERTOOLS_", "MOTO_"))
    }
    environment.update({"RECIPIENTS_MOTO_URL": moto_url, "RECIPIENTS_API_KEY": api_key})
    result = subprocess.run(
        [sys.executable, "-m", "local.invoke", function, event],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def test_make_invoke_answers_from_the_data_already_in_the_moto_server(moto_url: str) -> None:
    # Given a user identified by one run against the moto server (which created the resources there)
    assert make_invoke(moto_url, "IdentifyFunction", "events/identify.json")["statusCode"] == 200

    # When another run gets that user from the same moto server (creating the resources again)
    answer = make_invoke(moto_url, "GetFunction", "events/get.json")

    # Then it finds the user
    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"])["id"] == "user_123"


def test_creating_the_resources_twice_reuses_each_one_and_keeps_its_data(
    moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the template's resources created in a moto server, and something in each
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    template = load_template()
    first = LocalResources(template)
    create_resources(first, "sk_test_first")
    dynamodb, sqs, events, s3 = (boto3.client(service) for service in ("dynamodb", "sqs", "events", "s3"))
    table = first.physical_name("RecipientsTable")
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "user#kept"}})
    sqs.send_message(QueueUrl=first.queue_urls["BulkQueue"], MessageBody="kept")
    bucket = first.physical_name("WorkflowDataBucket")
    s3.put_object(Bucket=bucket, Key="runs/kept", Body=b"kept")

    # When another emulator creates them again in the same moto server, with another key
    second = LocalResources(template)
    create_resources(second, "sk_test_second")

    # Then each resource is the one that was there, with what it held
    assert dynamodb.get_item(TableName=table, Key={"pk": {"S": "user#kept"}}).get("Item")
    assert second.queue_urls == first.queue_urls
    assert set(second.queue_urls) == set(resources_of_type("AWS::SQS::Queue", template))
    received = sqs.receive_message(QueueUrl=second.queue_urls["BulkQueue"]).get("Messages", [])
    assert [message["Body"] for message in received] == ["kept"]
    assert s3.get_object(Bucket=bucket, Key="runs/kept")["Body"].read() == b"kept"
    buses = [bus["Name"] for bus in events.list_event_buses()["EventBuses"]]
    assert buses.count(second.physical_name("WorkflowEventBus")) == 1

    # And both keys are accepted: the first emulator's key still works for its API
    name = parameter_defaults(template)["ApiKeyHashesParameterName"]
    stored = boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    assert parse_key_hashes(stored) == {
        hash_key("sk_test_first"),
        hash_key("sk_test_second"),
        hash_key(DEFAULT_PUBLIC_API_KEY),
    }
