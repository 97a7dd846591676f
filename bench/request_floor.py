"""The least a Lambda built on this project's stack can do for an identify, in a fresh interpreter: import
Powertools' HTTP resolver with validation on, declare one route with a one-field pydantic body, and
serve one request with one UpdateItem through a boto3 client created on first use. What a real handler
takes beyond this is what its own code costs; what this takes beyond the minimal handler (bench/warm.py)
is the price of the stack, which no handler built on it can avoid.

Run as a script by `bench.warm.measure_first_request`, in an interpreter that has imported
`bench.warm` first, as the identify and minimal runs have (it imports nothing of this project
itself, so it measures the same thing whatever `--source` is benchmarked): argument 1 is the event
file; the recorded UpdateItem response is in BENCH_UPDATE_ITEM_RESPONSE; it prints the time from
its first import to the answer, as `bench.warm` does.
"""

import time

started = time.perf_counter()

import json  # noqa: E402 - what is imported after `started` is what the time counts
import os  # noqa: E402
import sys  # noqa: E402
from typing import Annotated, Any, cast  # noqa: E402

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver  # noqa: E402
from aws_lambda_powertools.event_handler.openapi.params import Body  # noqa: E402
from pydantic import BaseModel  # noqa: E402


class IdentifyBody(BaseModel):
    name: str


app = APIGatewayHttpResolver(enable_validation=True)
_clients: list[Any] = []


def dynamodb() -> Any:
    if not _clients:
        import boto3

        _clients.append(boto3.client("dynamodb"))
    return _clients[0]


@app.put("/v1/users/<user_id>")
def identify(user_id: str, body: Annotated[IdentifyBody, Body()]) -> dict[str, Any]:
    response = dynamodb().update_item(
        TableName=os.environ["RECIPIENTS_TABLE_NAME"],
        Key={"pk": {"S": "user#" + user_id}},
        UpdateExpression="SET #n = :n",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":n": {"S": body.name}},
        ReturnValues="ALL_NEW",
    )
    return {"id": response["Attributes"]["id"]["S"]}


class Context:
    function_name = "identify"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:identify"
    aws_request_id = "bench"


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as file:
        event = json.load(file)
    from botocore.stub import Stubber

    with Stubber(dynamodb()) as stubber:
        stubber.add_response("update_item", json.loads(os.environ["BENCH_UPDATE_ITEM_RESPONSE"]))
        answer = app.resolve(event, cast(Any, Context()))  # the attributes Powertools reads
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert answer["statusCode"] == 200, answer
    print(json.dumps({"first_request_ms": elapsed_ms}))


if __name__ == "__main__":
    main()
