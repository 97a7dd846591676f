"""The bulk pipeline's rows/s against raw concurrent UpdateItem of the same rows, on one moto server.

moto server runs in a process of its own; the local API (`python -m local.server`) uses it through
`RECIPIENTS_MOTO_URL`. Both contenders are clients of that same server:

- raw: this process writes the rows with the layer's own one-UpdateItem identify, RAW_THREADS at once;
- pipeline: the rows go through `POST /v1/users/bulk/identify` (1,000 a call), the queue and
  bulk_worker, and the clock stops when every operation reports `completed`.

Runs alternate (raw, pipeline, raw, ...) so the machine's noise hits both; the median of each is kept.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.layer_calls import bulk_limits, identify_writes

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "sk_bench_local"
CALL_ROWS = 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


@dataclass
class Services:
    moto_url: str
    api_url: str


@contextmanager
def services() -> Iterator[Services]:
    """moto server and the local API, each in its own process, stopped afterwards."""
    moto_port, api_port = free_port(), free_port()
    moto_url, api_url = f"http://127.0.0.1:{moto_port}", f"http://127.0.0.1:{api_port}"
    env = {
        **os.environ,
        "RECIPIENTS_MOTO_URL": moto_url,
        "PORT": str(api_port),
        "RECIPIENTS_API_KEY": API_KEY,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    quiet = subprocess.DEVNULL
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)], stdout=quiet, stderr=quiet
    )
    api = None
    try:
        wait_until(lambda: urllib.request.urlopen(f"{moto_url}/moto-api/", timeout=1).status == 200, "moto server")
        api = subprocess.Popen([sys.executable, "-m", "local.server"], cwd=ROOT, env=env, stdout=quiet, stderr=quiet)
        wait_until(lambda: _get(f"{api_url}/v1/users?page_size=1")["page_info"] is not None, "the local API")
        yield Services(moto_url, api_url)
    finally:
        for process in (api, moto):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:  # moto's server can sit on SIGTERM
                    process.kill()
                    process.wait()


def _request(method: str, url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {API_KEY}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def _get(url: str) -> Any:
    return _request("GET", url)


def make_rows(count: int) -> list[dict[str, Any]]:
    run = uuid.uuid4().hex[:8]
    return [
        {
            "id": f"bench-{run}-{index}",
            "name": f"User {index}",
            "email": f"user{index}@example.com",
            "plan": "pro" if index % 3 else "free",
            "seats": index % 50,
            "prefs": {"theme": "dark", "digest": [1, 2, 3]},
        }
        for index in range(count)
    ]


def run_raw(moto_url: str, rows: list[dict[str, Any]], threads: int) -> float:
    """Seconds to write the rows with the layer's identify, `threads` at once, straight to DynamoDB."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "dynamodb", endpoint_url=moto_url, region_name="us-east-1", config=Config(max_pool_connections=threads * 2)
    )
    writes = identify_writes(client, "recipients-local-RecipientsTable", rows)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(lambda write: write(), writes))
    return time.perf_counter() - started


def run_pipeline(api_url: str, rows: list[dict[str, Any]]) -> float:
    """Seconds from the first bulk call until every operation reports completed."""
    started = time.perf_counter()
    operations = [
        _request("POST", f"{api_url}/v1/users/bulk/identify", {"users": rows[start : start + CALL_ROWS]})["id"]
        for start in range(0, len(rows), CALL_ROWS)
    ]
    pending = set(operations)
    while pending:
        for operation_id in list(pending):
            operation = _get(f"{api_url}/v1/bulk_operations/{operation_id}")
            if operation["status"] == "failed" or operation["error_count"]:
                raise RuntimeError(f"bulk operation {operation_id} did not write every row: {operation}")
            if operation["status"] == "completed":
                pending.discard(operation_id)
        time.sleep(0.05)
    return time.perf_counter() - started


def measure_bulk(row_count: int, repeats: int, raw_threads: int) -> dict[str, Any]:
    fake_aws = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    for name, value in fake_aws.items():
        os.environ.setdefault(name, value)  # recipients.aws makes a client at import

    raw_rates: list[float] = []
    pipeline_rates: list[float] = []
    with services() as running:
        run_raw(running.moto_url, make_rows(200), raw_threads)  # warm both paths before timing
        run_pipeline(running.api_url, make_rows(200))
        for repeat in range(repeats):
            raw_rates.append(row_count / run_raw(running.moto_url, make_rows(row_count), raw_threads))
            pipeline_rates.append(row_count / run_pipeline(running.api_url, make_rows(row_count)))
            print(
                f"  run {repeat + 1}: raw {raw_rates[-1]:.0f} rows/s, pipeline {pipeline_rates[-1]:.0f} rows/s",
                flush=True,
            )
    raw, pipeline = statistics.median(raw_rates), statistics.median(pipeline_rates)
    return {
        "rows_per_run": row_count,
        "repeats": repeats,
        "raw_rows_per_s": round(raw, 1),
        "pipeline_rows_per_s": round(pipeline, 1),
        "bulk_vs_raw_ratio": round(pipeline / raw, 3),
        "raw_threads": raw_threads,
        **bulk_limits(),
    }
