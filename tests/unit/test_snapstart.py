"""What a copy of a SnapStart snapshot renews, and how Powertools counts its cold start.

Lambda runs a function's init once per published version, snapshots it, and resumes every new
execution environment from that snapshot, then runs the hooks registered with the runtime's
`snapshot_restore_py` (the PyPI package of the same name, a dev dependency, holds the same registry).
Here a restore is played the way the runtime plays it: the state of the `random` module put back as
the snapshot had it, then the after-restore hooks run in the order they were registered.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import snapshot_restore_py

from local.template import handler_location, http_api, resources_of_type

REPO = Path(__file__).resolve().parents[2]
SNAPSTART_FUNCTIONS = sorted({route.function for route in http_api().routes} | {"AuthorizerFunction"})
HANDLER_MODULES = sorted(
    handler_location(resources_of_type("AWS::Serverless::Function")[name]["Properties"])[0]
    for name in SNAPSTART_FUNCTIONS
)


def run_after_restore_hooks() -> None:
    for function, args, kwargs in snapshot_restore_py.get_after_restore():
        function(*args, **kwargs)


def draws() -> list[float]:
    return [random.random() for _ in range(8)]


@pytest.mark.parametrize("module", HANDLER_MODULES)
def test_every_snapstart_function_registers_the_restore_hooks_at_import(module: str) -> None:
    importlib.import_module(module)
    registered = [
        function.__module__ + "." + function.__qualname__ for function, _, _ in snapshot_restore_py.get_after_restore()
    ]
    assert "recipients.kernel.snapstart.renew_after_restore" in registered
    assert registered.count("recipients.kernel.snapstart.renew_after_restore") == 1


def test_each_restored_copy_draws_its_own_random_numbers() -> None:
    # Given a function's init done, and the state of `random` as its snapshot holds it
    importlib.import_module("functions.identify.app")
    snapshot = random.getstate()
    in_the_snapshot = draws()

    # A copy resumed from the snapshot would draw the same numbers as every other copy...
    random.setstate(snapshot)
    assert draws() == in_the_snapshot

    # ...but after the restore hooks, each copy draws its own (botocore's retry jitter and ours among them)
    copies = []
    for _ in range(2):
        random.setstate(snapshot)
        run_after_restore_hooks()
        copies.append(draws())
    assert in_the_snapshot not in copies
    assert copies[0] != copies[1]


RESTORED_ENVIRONMENT = """
import json, sys
from functions.fallback.app import lambda_handler   # the init, before the snapshot
import snapshot_restore_py

for function, args, kwargs in snapshot_restore_py.get_after_restore():   # the restore
    function(*args, **kwargs)

class Context:
    function_name = "FallbackFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:FallbackFunction:live"
    aws_request_id = "request"
    def get_remaining_time_in_millis(self):
        return 10_000

event = json.load(open("events/fallback.json"))
for _ in range(3):
    lambda_handler(event, Context())
    print("-- invocation done", flush=True)
"""


def test_the_first_request_of_each_restored_environment_is_its_one_cold_start() -> None:
    # Given a fresh interpreter as Lambda runs a SnapStart function: init, restore, then three requests
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("POWERTOOLS_", "AWS_LAMBDA_"))},
        "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start",
        "AWS_LAMBDA_FUNCTION_NAME": "FallbackFunction",
        "POWERTOOLS_SERVICE_NAME": "recipients",
        "POWERTOOLS_METRICS_NAMESPACE": "Recipients",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    result = subprocess.run(
        [sys.executable, "-c", RESTORED_ENVIRONMENT],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    # Then Powertools counts the first request as a cold start (a new environment, restored), and only that one
    invocations = result.stdout.split("-- invocation done")[:3]
    cold_starts = [
        sum(
            "ColdStart"
            in json.loads(line)
            .get("_aws", {})
            .get("CloudWatchMetrics", [{}])[0]
            .get("Metrics", [{}])[0]
            .get("Name", "")
            for line in output.splitlines()
            if line.startswith("{")
        )
        for output in invocations
    ]
    assert cold_starts == [1, 0, 0]
