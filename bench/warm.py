"""Warm cost of the identify handler, and the memory a function holds after its first request.

DynamoDB answers through botocore's Stubber with the response moto gave for the same request, so
the figures are the handler's own work: parsing, validation, the update plan, the response,
logging and metrics. `warm_overhead_ms` is the CPU time per request of the real handler minus that
of a minimal handler that only sends the same kind of `UpdateItem` through the same client.

`python -m bench.warm identify` (or `minimal`) runs in a fresh interpreter: import the handler,
serve one request, print the time that took and the peak resident set size.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import FAKE_AWS, Context, create_tables, lambda_environment, quiet
from bench.layer_calls import dynamodb
from local.layer import LambdaLayout, lambda_layout

ROOT = Path(__file__).resolve().parent.parent
REQUEST_FLOOR = Path(__file__).resolve().parent / "request_floor.py"
_FLOOR_CODE = "import runpy, sys, bench.warm; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
"""The floor runs once this module is imported, as in the identify and minimal runs (`-m bench.warm`),
so that all three start their clocks with the same modules loaded."""


def identify_event() -> dict[str, Any]:
    """events/identify.json without its Idempotency-Key: one UpdateItem, as identify is specified."""
    event: dict[str, Any] = json.loads((ROOT / "events" / "identify.json").read_text(encoding="utf-8"))
    event["headers"].pop("idempotency-key")
    return event


def update_item_response() -> dict[str, Any]:
    """The UpdateItem response moto gives to the identify handler's request, recorded once."""
    from moto import mock_aws

    recorded: dict[str, Any] = {}

    def record(parsed: dict[str, Any], **_: Any) -> None:
        recorded.update(parsed)

    with mock_aws():
        create_tables()
        dynamodb().meta.events.register("after-call.dynamodb.UpdateItem", record, unique_id="bench.record")
        handler = _identify_handler()
        with quiet():
            handler(identify_event(), Context())
        dynamodb().meta.events.unregister("after-call.dynamodb.UpdateItem", unique_id="bench.record")
    recorded.pop("ResponseMetadata", None)
    return recorded


def _identify_handler() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    from functions.identify.app import lambda_handler

    return lambda_handler


def _minimal_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The least a Lambda can do for an identify: one UpdateItem, the answer passed through."""
    body = json.loads(event["body"])
    response = dynamodb().update_item(
        TableName=FAKE_AWS["RECIPIENTS_TABLE_NAME"],
        Key={"pk": {"S": "user#" + event["pathParameters"]["user_id"]}},
        UpdateExpression="SET #n = :n",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":n": {"S": body["name"]}},
        ReturnValues="ALL_NEW",
    )
    return {"statusCode": 200, "body": json.dumps(response["Attributes"], default=str)}


def _cpu_per_request(handler: Callable[..., Any], response: dict[str, Any], requests: int) -> float:
    from botocore.stub import Stubber

    event = identify_event()
    context = Context()
    with Stubber(dynamodb()) as stubber, quiet():
        for _ in range(requests + 20):
            stubber.add_response("update_item", response)
        for _ in range(20):  # warm-up: first calls build caches
            handler(event, context)
        start = time.process_time()
        for _ in range(requests):
            answer = handler(event, context)
        elapsed = time.process_time() - start
    assert answer["statusCode"] == 200, answer
    return elapsed / requests


def measure_warm(requests: int, repeats: int) -> dict[str, Any]:
    """Median CPU ms per request, real identify handler and minimal handler, alternated."""
    os.environ.update(FAKE_AWS)
    response = update_item_response()
    real, minimal = [], []
    for _ in range(repeats):
        real.append(_cpu_per_request(_identify_handler(), response, requests))
        minimal.append(_cpu_per_request(_minimal_handler, response, requests))
    real_ms, minimal_ms = statistics.median(real) * 1000, statistics.median(minimal) * 1000
    return {
        "requests": requests,
        "repeats": repeats,
        "identify_cpu_ms": round(real_ms, 3),
        "minimal_cpu_ms": round(minimal_ms, 3),
        "warm_overhead_ms": round(real_ms - minimal_ms, 3),
    }


def _serve_first_request(minimal: bool) -> None:
    """In a fresh interpreter: import the handler, serve one request; print the time and the peak RSS."""
    os.environ.update(FAKE_AWS)
    response, event = update_item_response_handed_over(), identify_event()
    start = time.perf_counter()
    handler = _minimal_handler if minimal else _identify_handler()
    from botocore.stub import Stubber

    with Stubber(dynamodb()) as stubber, quiet():
        stubber.add_response("update_item", response)
        answer = handler(event, Context())
    elapsed_ms = (time.perf_counter() - start) * 1000
    assert answer["statusCode"] == 200, answer
    print(json.dumps({"first_request_ms": elapsed_ms, "peak_rss_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's peak resident set size. `ru_maxrss` is not used: Linux keeps it across exec, so
    a child started by a big parent would report the parent's peak."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # elsewhere: kilobytes (bytes on macOS)


def update_item_response_handed_over() -> dict[str, Any]:
    """The response the parent recorded with moto (moto itself is not imported here)."""
    response: dict[str, Any] = json.loads(os.environ["BENCH_UPDATE_ITEM_RESPONSE"])
    return response


def measure_first_request(layout: LambdaLayout, repeats: int) -> dict[str, Any]:
    """Fresh interpreters laid out as on Lambda that import identify and serve one request (moto is not
    loaded there: the recorded response is handed over), alternated with the minimal handler doing
    the same and with the stack's floor (bench/request_floor.py: Powertools' validated resolver, one
    route, the same UpdateItem): the time from the import to the answer, whole cold-start work, and
    the peak RSS of the identify ones. `cold_start_over_floor` is what identify's own code adds."""
    os.environ.update(FAKE_AWS)
    response = json.dumps(update_item_response(), default=str)
    environment = {**lambda_environment(layout), "BENCH_UPDATE_ITEM_RESPONSE": response}
    samples: dict[str, list[dict[str, float]]] = {"identify": [], "minimal": [], "floor": []}
    with tempfile.TemporaryDirectory(prefix="recipients-first-request-") as directory:
        event_file = Path(directory) / "identify.json"
        event_file.write_text(json.dumps(identify_event()), encoding="utf-8")
        commands = {
            "identify": layout.command("-m", "bench.warm", "identify"),
            "minimal": layout.command("-m", "bench.warm", "minimal"),
            "floor": layout.command("-c", _FLOOR_CODE, str(REQUEST_FLOOR), str(event_file)),
        }
        for _ in range(repeats):
            for mode, command in commands.items():
                output = subprocess.run(
                    command, cwd=layout.task_root, env=environment, check=True, capture_output=True, text=True
                )
                samples[mode].append(json.loads(output.stdout.strip().splitlines()[-1]))

    def median(mode: str, key: str) -> float:
        return statistics.median(sample[key] for sample in samples[mode])

    identify_ms, minimal_ms = median("identify", "first_request_ms"), median("minimal", "first_request_ms")
    floor_ms = median("floor", "first_request_ms")
    ratio, floor_ratio = round(identify_ms / minimal_ms, 2), round(floor_ms / minimal_ms, 2)
    return {
        "repeats": repeats,
        "peak_rss_mb": round(median("identify", "peak_rss_mb"), 1),
        "identify_first_request_ms": round(identify_ms, 1),
        "minimal_first_request_ms": round(minimal_ms, 1),
        "floor_first_request_ms": round(floor_ms, 1),
        "cold_start_ratio": ratio,
        "cold_start_floor_ratio": floor_ratio,
        "cold_start_over_floor": round(ratio - floor_ratio, 2),
    }


if __name__ == "__main__":
    if sys.argv[1:] in (["identify"], ["minimal"]):
        _serve_first_request(minimal=sys.argv[1] == "minimal")
    else:
        with lambda_layout() as layout:
            print(json.dumps({**measure_warm(500, 3), **measure_first_request(layout, 3)}, indent=2))
