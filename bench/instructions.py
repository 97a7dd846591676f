"""Instructions each import executes, counted by valgrind's callgrind: the cold-start figure without noise.

Each module is imported once in a fresh interpreter of the Lambda layout (the environment and `-S -s`
command the wall-clock timing uses) under `valgrind --tool=callgrind`, which ends with
`os._exit(0)` right after the import, as a Lambda's init ends without tearing the interpreter down.
The total `Ir` of that process, from the `totals:` line of callgrind's output file, minus the total of
an interpreter that only starts and exits the same way, is the import's count. `PYTHONHASHSEED` is
fixed: with random hashing, counts move by about 0.15 % from run to run; with a fixed seed, by a few
instructions. `import boto3` is counted twice, and the difference is reported.

Counts are about 30 times slower to take than wall-clock times (seconds per module), but a single run
is exact, where the wall clock of this shared machine moves by tens of percent.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import lambda_environment
from local.layer import LambdaLayout

START_AND_EXIT = "import os; os._exit(0)"
"""The interpreter's own start, subtracted from every count."""
HASH_SEED = "0"


def valgrind() -> str | None:
    """The valgrind executable, or None where it is not installed."""
    return shutil.which("valgrind")


def callgrind_total(output: str) -> int:
    """Total instructions (`Ir`) of one callgrind output file: from its `totals:` line, or the
    `summary:` line that older versions write, in the column its `events:` line gives `Ir`
    (the first, unless options such as a cache simulation add events)."""
    fields = dict(re.findall(r"^(events|totals|summary):[ \t]*(.*?)[ \t]*$", output, re.MULTILINE))
    events = fields.get("events", "").split()
    if "Ir" not in events:
        raise ValueError("not a callgrind output file counting Ir")
    total = fields.get("totals") or fields.get("summary")
    if total is None:
        raise ValueError("callgrind output file without a totals or summary line")
    return int(total.split()[events.index("Ir")])


def import_code(module: str) -> str:
    return f"import {module}; {START_AND_EXIT}"


def count(tool: str, layout: LambdaLayout, code: str, output: Path) -> int:
    """Instructions of a fresh interpreter of `layout` running `code`, under callgrind."""
    environment = {**lambda_environment(layout), "PYTHONHASHSEED": HASH_SEED}
    run = subprocess.run(
        [tool, "--tool=callgrind", f"--callgrind-out-file={output}", *layout.command("-c", code)],
        cwd=layout.task_root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"callgrind of `{code}` failed (exit {run.returncode}):\n{run.stderr[-2000:]}")
    return callgrind_total(output.read_text(encoding="utf-8", errors="replace"))


def ratio(instructions: int, boto3: int) -> float:
    return round(instructions / boto3, 3)


def measure_instructions(layout: LambdaLayout, handlers: Mapping[str, str], floor: str, jobs: int) -> dict[str, Any]:
    """Instructions of `import boto3`, of `floor` and of each handler module, with their ratios to boto3.

    Without valgrind, or where it cannot run this Python, nothing is counted: `available` is False,
    `reason` says why and every count is None."""
    tool = valgrind()
    if tool is None:
        return unavailable("valgrind is not installed")
    modules = {"boto3": "boto3", "boto3_again": "boto3", "floor": floor, **handlers}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="recipients-callgrind-") as directory:
        outputs = Path(directory)
        try:
            start = count(tool, layout, START_AND_EXIT, outputs / "start.out")
        except RuntimeError as failure:
            return unavailable(str(failure))

        def one(name: str) -> int:
            return count(tool, layout, import_code(modules[name]), outputs / f"{name}.out") - start

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            counted = dict(zip(modules, pool.map(one, modules), strict=True))
    boto3 = counted.pop("boto3")
    boto3_again = counted.pop("boto3_again")
    floor_count = counted.pop("floor")
    per_handler = {name: {"instructions": n, "ratio_to_boto3": ratio(n, boto3)} for name, n in counted.items()}
    worst = max(per_handler, key=lambda name: per_handler[name]["instructions"])
    return {
        "available": True,
        "tool": tool_version(tool),
        "hash_seed": HASH_SEED,
        "interpreter_start_instructions": start,
        "boto3_instructions": boto3,
        "boto3_repeat_difference": boto3_again - boto3,
        "powertools_floor": {"instructions": floor_count, "ratio_to_boto3": ratio(floor_count, boto3)},
        "handlers": per_handler,
        "worst_handler": worst,
        "worst_ratio_to_boto3": per_handler[worst]["ratio_to_boto3"],
        "jobs": jobs,
        "seconds": round(time.monotonic() - started),
    }


def unavailable(reason: str) -> dict[str, Any]:
    return {
        "available": False,
        "reason": reason,
        "boto3_instructions": None,
        "powertools_floor": None,
        "handlers": None,
        "worst_handler": None,
        "worst_ratio_to_boto3": None,
    }


def tool_version(tool: str) -> str:
    version = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return f"{version or 'valgrind'} --tool=callgrind"


def default_jobs() -> int:
    """Counts do not depend on how busy the machine is, so both cores of a small machine are used."""
    return min(2, os.cpu_count() or 1)
