"""bench/request_floor.py: the stack's floor serves a real identify request, and loads nothing of ours."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench import FAKE_AWS
from bench.warm import REQUEST_FLOOR, identify_event
from local.layer import ROOT

_REPORT = (
    "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__'); "
    "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('recipients', 'functions', 'bench'))))"
)


def run_floor(
    tmp_path: Path, event: dict[str, object], attributes: dict[str, object]
) -> subprocess.CompletedProcess[str]:
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event), encoding="utf-8")
    environment = {**os.environ, **FAKE_AWS, "BENCH_UPDATE_ITEM_RESPONSE": json.dumps({"Attributes": attributes})}
    return subprocess.run(
        [sys.executable, "-P", "-c", "import json; " + _REPORT, str(REQUEST_FLOOR), str(event_file)],
        cwd=tmp_path,  # not the checkout: nothing of the project can be found by accident
        env={key: value for key, value in environment.items() if key != "PYTHONPATH"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_floor_serves_identify_and_loads_no_module_of_the_project(tmp_path: Path) -> None:
    run = run_floor(tmp_path, identify_event(), {"id": {"S": "user_123"}, "name": {"S": "Ada"}})

    assert run.returncode == 0, run.stderr
    timing, loaded = run.stdout.strip().splitlines()[-2:]
    assert json.loads(timing)["first_request_ms"] > 0
    assert json.loads(loaded) == []


def test_floor_with_a_body_its_model_rejects_fails_instead_of_timing_an_error(tmp_path: Path) -> None:
    event = identify_event()
    event["body"] = json.dumps({"email": "ada@example.com"})  # no name: the floor's body needs one

    run = run_floor(tmp_path, event, {"id": {"S": "user_123"}})

    assert run.returncode != 0
    assert '"loc":["body","name"],"type":"missing"' in run.stderr


def test_floor_script_is_the_one_the_bench_runs() -> None:
    assert REQUEST_FLOOR == ROOT / "bench" / "request_floor.py"
    assert REQUEST_FLOOR.is_file()
