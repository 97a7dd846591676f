"""`make bench`: what each operation costs, as counts and as ratios to a baseline from the same run.

- DynamoDB requests per identify (without and with an Idempotency-Key, and its replay), get, delete,
  list page, get, set and unset of channel data and of a preference set (replaced or merged), a
  subscription add and its pages, and a schedule's create, pages and firing,
  counted with botocore's event hooks on the layer's own client against in-process moto (counts do
  not depend on the machine). A set is counted on an existing user and on a new one, and held to the
  worse count.
- Import time of each handler module in a fresh interpreter laid out as on Lambda (local/layer.py:
  the layer built by its Makefile, nothing else installed), divided by a bare `import boto3` from
  that layer timed the same way just before and just after it (this machine is shared and noisy:
  compare ratios).
- In the same layout, the instructions each of those imports executes, counted once by valgrind's
  callgrind (bench/instructions.py; exact where the wall clock is noisy), divided by `import boto3`'s.
- In the same layout, import + first request of identify and of a minimal UpdateItem-only handler
  (their ratio is the whole cold-start work), with the peak RSS (bench/warm.py).
- CPU per identify request through the real handler with DynamoDB stubbed, minus the minimal handler.
- The bulk pipeline's rows/s against raw concurrent UpdateItem on the same moto server (bench/bulk.py).

Results go to bench/results.json and are printed as a table, followed by the budgets (bench/budgets.py)
this run meets and misses. A missed budget is reported, not an error: the exit status stays 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from bench import FAKE_AWS, create_tables, lambda_environment
from bench.budgets import check, print_budgets
from bench.bulk import measure_bulk
from bench.change_events import measure_change_events
from bench.fanout import measure_fanout
from bench.instructions import default_jobs, measure_instructions, unavailable, valgrind
from bench.layer_calls import dynamodb, seed_users, store_operations
from bench.warm import measure_first_request, measure_warm
from local.layer import LambdaLayout, lambda_layout
from local.template import handler_location, load_template, resources_of_type

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"


def handlers_of(source: Path) -> dict[str, str]:
    """Every function of `source`'s template.yaml: its folder name and handler module."""
    functions = resources_of_type("AWS::Serverless::Function", load_template(source / "template.yaml"))
    return {
        Path(properties["CodeUri"]).name: handler_location(properties)[0]
        for properties in (spec["Properties"] for spec in functions.values())
    }


POWERTOOLS_FLOOR = "aws_lambda_powertools.event_handler.middlewares.openapi_validation"
"""What every API handler imports from Powertools and pydantic: the resolver with its OpenAPI
validation, and (through the package) Logger and Metrics. Timed on its own, it shows how much of
a handler's import is our code."""


def count_requests() -> dict[str, dict[str, int]]:
    """DynamoDB operations issued by one call of each store operation, by operation name."""
    os.environ.update(FAKE_AWS)
    from moto import mock_aws

    with mock_aws():
        create_tables()
        seed_users(30)
        calls: Counter[str] = Counter()

        def record(event_name: str, **_: Any) -> None:
            calls[event_name.rsplit(".", 1)[-1]] += 1

        dynamodb().meta.events.register("before-call.dynamodb.*", record)
        operations = store_operations(f"bench-{uuid.uuid4().hex[:8]}")
        counts = {}
        for name, operation in operations.items():
            calls.clear()
            operation()
            counts[name] = dict(calls)
        dynamodb().meta.events.unregister("before-call.dynamodb.*", record)
    return counts


def request_results(requests: dict[str, dict[str, int]]) -> dict[str, int]:
    """The top-level keys of bench/results.json that count_requests's figures give. A write that may
    create its user is held to the worse of its counts on an existing user and on a new one."""

    def total(*operations: str) -> int:
        return max(sum(requests[name].values()) for name in operations)

    return {
        "identify_dynamodb_requests": total("identify"),
        "identify_dynamodb_reads": sum(n for op, n in requests["identify"].items() if op != "UpdateItem"),
        "identify_with_idempotency_key_dynamodb_requests": total("identify_key"),
        "idempotent_replay_dynamodb_requests": total("identify_replay"),
        "get_dynamodb_requests": total("get"),
        "delete_dynamodb_requests": total("delete"),
        "list_page_dynamodb_requests": total("list_page"),
        "channel_data_get_dynamodb_requests": total("channel_data_get"),
        "channel_data_set_dynamodb_requests": total("channel_data_set", "channel_data_set_new_user"),
        "channel_data_unset_dynamodb_requests": total("channel_data_unset"),
        "preferences_get_dynamodb_requests": total("preferences_get"),
        "preferences_replace_dynamodb_requests": total("preferences_replace", "preferences_replace_new_user"),
        "preferences_merge_dynamodb_requests": total("preferences_merge", "preferences_merge_new_user"),
        "preferences_unset_dynamodb_requests": total("preferences_unset"),
    }


def import_seconds(layout: LambdaLayout, module: str, *, traced: bool = False) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    output = subprocess.run(
        layout.command("-c", code),
        cwd=layout.task_root,
        env=lambda_environment(layout, traced=traced),
        check=True,
        capture_output=True,
        text=True,
    )
    return float(output.stdout.strip().splitlines()[-1])


def measure_imports(layout: LambdaLayout, handlers: dict[str, str], repeats: int) -> dict[str, Any]:
    """Each module's import time, and its ratio to a bare `import boto3` from the same moments: the
    machine's speed drifts by tens of percent within a minute, so every module is timed between two
    `import boto3` runs and divided by their mean, in a new random order each round (a module is not
    always timed after the same neighbour), and the median of `repeats` such ratios is kept. Identify
    is timed once more as in a Lambda with tracing on (Powertools then loads the X-Ray SDK).
    `over_floor` is the slowest handler's ratio minus the Powertools floor's: what our own code adds."""
    modules = {**handlers, "identify_traced": handlers["identify"], "floor": POWERTOOLS_FLOOR}
    seconds: dict[str, list[float]] = {name: [] for name in ("boto3", *modules)}
    ratios: dict[str, list[float]] = {name: [] for name in modules}
    for module in ("boto3", *handlers.values()):  # warm the OS file cache before timing
        import_seconds(layout, module)
    shuffler = random.Random(6)  # seeded: every run times the modules in the same orders
    for _ in range(repeats):
        order = shuffler.sample(list(modules), k=len(modules))
        before = import_seconds(layout, "boto3")
        for name in order:
            elapsed = import_seconds(layout, modules[name], traced=name == "identify_traced")
            after = import_seconds(layout, "boto3")
            seconds["boto3"].append(before)
            seconds[name].append(elapsed)
            ratios[name].append(elapsed / ((before + after) / 2))
            before = after

    def figures(name: str) -> dict[str, Any]:
        quartiles = statistics.quantiles(ratios[name], n=4)
        return {
            "ms": round(statistics.median(seconds[name]) * 1000, 1),
            "ratio_to_boto3": round(statistics.median(ratios[name]), 2),
            "ratio_quartiles": [round(quartiles[0], 2), round(quartiles[2], 2)],
        }

    median = {name: statistics.median(ratios[name]) for name in modules}
    worst = max(handlers, key=median.__getitem__)
    return {
        "repeats": repeats,
        "boto3_ms": round(statistics.median(seconds["boto3"]) * 1000, 1),
        "handlers": {name: figures(name) for name in handlers},
        "identify_traced": figures("identify_traced"),
        "powertools_floor": figures("floor"),
        "worst_handler": worst,
        "over_floor": round(median[worst] - median["floor"], 2),
    }


def measure_cold_start(source: Path, options: argparse.Namespace) -> dict[str, Any]:
    """Import times, import instructions and the first request of `source`'s handlers, with its layer as
    Lambda would run it."""
    handlers = handlers_of(source)
    print(f"building the layer of {source} as sam build does, for {options.python}...", flush=True)
    with lambda_layout(source, python=options.python) as layout:
        print(f"timing imports in fresh interpreters, {options.repeats} rounds...", flush=True)
        imports = measure_imports(layout, handlers, options.repeats)
        print(f"import + first request, and peak RSS, {options.first_request_repeats} rounds...", flush=True)
        first = measure_first_request(layout, repeats=options.first_request_repeats)
        if options.skip_callgrind:
            instructions = unavailable("--skip-callgrind was given")
        elif valgrind() is None:
            instructions = unavailable("valgrind is not installed")
        else:
            print(
                f"counting import instructions under callgrind, {len(handlers) + 4} interpreters, "
                f"{options.callgrind_jobs} at a time...",
                flush=True,
            )
            instructions = measure_instructions(layout, handlers, POWERTOOLS_FLOOR, options.callgrind_jobs)
        if not instructions["available"]:
            print(f"skipping the instruction counts: {instructions['reason']}; they are recorded as null", flush=True)
        python = interpreter_version(layout)
    return {"imports": imports, "first_request": first, "instructions": instructions, "python": python}


def interpreter_version(layout: LambdaLayout) -> str:
    code = "import platform; print(platform.python_version())"
    return subprocess.run(layout.command("-c", code), capture_output=True, text=True, check=True).stdout.strip()


def cold_start_results(cold: dict[str, Any]) -> dict[str, Any]:
    """The top-level keys of bench/results.json that measure_cold_start's figures give."""
    imports, first, instructions = cold["imports"], cold["first_request"], cold["instructions"]
    floor = instructions["powertools_floor"]
    return {
        "peak_rss_mb": first["peak_rss_mb"],
        "cold_start_ratio": first["cold_start_ratio"],
        "cold_start_floor_ratio": first["cold_start_floor_ratio"],
        "cold_start_over_floor": first["cold_start_over_floor"],
        "first_request": first,
        "identify_import_ratio": imports["handlers"]["identify"]["ratio_to_boto3"],
        "identify_import_ratio_traced": imports["identify_traced"]["ratio_to_boto3"],
        "powertools_floor_import_ratio": imports["powertools_floor"]["ratio_to_boto3"],
        "cold_import_ratio": imports["handlers"][imports["worst_handler"]]["ratio_to_boto3"],
        "cold_import_worst_handler": imports["worst_handler"],
        "cold_import_over_floor": imports["over_floor"],
        "imports": imports,
        "cold_import_instructions_ratio": instructions["worst_ratio_to_boto3"],
        "cold_import_instructions_worst_handler": instructions["worst_handler"],
        "powertools_floor_instructions_ratio": None if floor is None else floor["ratio_to_boto3"],
        "cold_import_instructions_over_floor": (
            None if floor is None else round(instructions["worst_ratio_to_boto3"] - floor["ratio_to_boto3"], 3)
        ),
        "boto3_import_instructions": instructions["boto3_instructions"],
        "instructions": instructions,
        "python": cold["python"],
    }


def print_cold_start(cold: dict[str, Any]) -> None:
    imports, first, instructions = cold["imports"], cold["first_request"], cold["instructions"]
    repeats, boto3_ms = imports["repeats"], imports["boto3_ms"]
    print(f"\nimport time, median of {repeats} fresh interpreters (bare `import boto3` = {boto3_ms} ms)")
    print("ratio: median of the ratios to the `import boto3` timed around each (quartiles)")
    extra = [("identify, traced", imports["identify_traced"]), ("Powertools floor", imports["powertools_floor"])]
    for name, figures in [*imports["handlers"].items(), *extra]:
        low, high = figures["ratio_quartiles"]
        print(f"  {name:<17} {figures['ms']:>7} ms   {figures['ratio_to_boto3']:.2f} x boto3 ({low:.2f}-{high:.2f})")
    print(
        f"slowest: {imports['worst_handler']}, {imports['over_floor']:+.2f} over the Powertools floor "
        f"(cold_import_over_floor)"
    )
    if instructions["available"]:
        boto3 = instructions["boto3_instructions"]
        print(
            f"\ninstructions per import, one callgrind run each (bare `import boto3` = {boto3 / 1e6:,.1f} M; "
            f"counted again: {instructions['boto3_repeat_difference']:+,} instructions)"
        )
        floor = instructions["powertools_floor"]
        for name, figures in [*instructions["handlers"].items(), ("Powertools floor", floor)]:
            print(f"  {name:<17} {figures['instructions'] / 1e6:>9,.1f} M   {figures['ratio_to_boto3']:.3f} x boto3")
        print(
            f"most: {instructions['worst_handler']} (cold_import_instructions_ratio); counted in "
            f"{instructions['seconds']} s, {instructions['jobs']} at a time"
        )
    else:
        print(f"\ninstructions per import: not counted ({instructions['reason']})")
    print(f"\npeak RSS after importing identify and serving one request: {first['peak_rss_mb']} MB")
    print(
        f"import + first request: identify {first['identify_first_request_ms']} ms, minimal UpdateItem handler "
        f"{first['minimal_first_request_ms']} ms: ratio {first['cold_start_ratio']}"
    )
    print(
        f"the stack's floor (Powertools' validated resolver, one route, the same UpdateItem) "
        f"{first['floor_first_request_ms']} ms: ratio {first['cold_start_floor_ratio']}, so identify's own "
        f"code adds {first['cold_start_over_floor']:+.2f} (cold_start_over_floor)"
    )


def write_results(path: Path, results: dict[str, Any]) -> None:
    path = path.resolve()
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    cold = parser.add_argument_group("cold starts")
    cold.add_argument(
        "--repeats",
        type=int,
        default=21,
        help="wall-clock rounds of the import timing: fresh interpreters per module, the median is kept (21)",
    )
    cold.add_argument(
        "--first-request-repeats",
        type=int,
        default=5,
        help="wall-clock rounds of import + first request, real and minimal handler (5)",
    )
    cold.add_argument(
        "--skip-callgrind",
        action="store_true",
        help="leave out the instruction counts (about a minute; null in the results); they are skipped, "
        "and said so, where valgrind is not installed",
    )
    cold.add_argument(
        "--callgrind-jobs",
        type=int,
        default=default_jobs(),
        help="callgrind runs at once; counts do not depend on it, only how long they take (%(default)s here)",
    )
    cold.add_argument(
        "--python",
        default=sys.executable,
        help="the interpreter that plays the Lambda runtime: the layer is built and its bytecode compiled "
        "for it, e.g. python3.11 to time a checkout of an older Python (default: this one)",
    )
    cold.add_argument(
        "--source",
        type=Path,
        help="only measure the cold start (import times and instructions, first request) of another "
        "checkout, e.g. an older commit's worktree, and print it with the budgets it meets; nothing "
        "is written unless --output is given",
    )
    parser.add_argument(
        "--output", type=Path, help="where to write the results (default: bench/results.json, but none with --source)"
    )
    parser.add_argument("--bulk-rows", type=int, default=1000, help="rows per bulk run (moto writes ~100 rows/s)")
    parser.add_argument("--bulk-repeats", type=int, default=5, help="alternating raw/pipeline runs")
    parser.add_argument("--skip-bulk", action="store_true", help="leave out the bulk pipeline benchmark")
    parser.add_argument("--fanout-subscribers", type=int, default=5000, help="subscribers of the fanned-out object")
    parser.add_argument("--fanout-repeats", type=int, default=3, help="alternating raw/fan-out runs")
    parser.add_argument("--skip-fanout", action="store_true", help="leave out the fan-out benchmark")
    parser.add_argument("--change-events", type=int, default=1000, help="events per change-event consumer run")
    parser.add_argument("--change-events-repeats", type=int, default=3, help="alternating raw/consumer runs")
    parser.add_argument("--skip-change-events", action="store_true", help="leave out the change-event benchmark")
    parser.add_argument("--warm-requests", type=int, default=1000, help="identify requests per warm CPU sample")
    args = parser.parse_args()
    if args.repeats < 2:
        parser.error("--repeats must be at least 2: the quartiles of the ratios are reported")
    if args.first_request_repeats < 1 or args.callgrind_jobs < 1:
        parser.error("--first-request-repeats and --callgrind-jobs must be at least 1")
    python = _interpreter(args.python)
    if python is None:
        parser.error(f"--python {args.python}: no such interpreter")
    args.python = python
    return args


def _interpreter(name: str) -> str | None:
    """The interpreter's own executable: a launcher such as a pyenv shim is a script, which callgrind
    would count instead of the interpreter it starts."""
    found = shutil.which(name)
    if found is None:
        return None
    run = subprocess.run(
        [found, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True, check=False
    )
    return run.stdout.strip() or None if run.returncode == 0 else None


def main() -> int:
    args = parse_arguments()
    started = time.monotonic()
    if args.source is not None:
        cold = measure_cold_start(args.source.resolve(), args)
        print_cold_start(cold)
        results = cold_start_results(cold)
        results["budgets"] = check(results)
        print_budgets(results["budgets"])
        if args.output is not None:
            write_results(args.output, results)
        print(f"took {(time.monotonic() - started) / 60:.1f} min")
        return 0
    print("counting DynamoDB requests per operation (in-process moto)...", flush=True)
    requests = count_requests()
    cold = measure_cold_start(ROOT, args)
    print("warm CPU per identify (DynamoDB stubbed)...", flush=True)
    warm = measure_warm(args.warm_requests, repeats=5)
    bulk: dict[str, Any] = {}
    if not args.skip_bulk:
        print(f"bulk pipeline vs raw UpdateItem, {args.bulk_repeats} x {args.bulk_rows} rows each...", flush=True)
        bulk = measure_bulk(args.bulk_rows, args.bulk_repeats, raw_threads=16)
    fanout: dict[str, Any] = {}
    if not args.skip_fanout:
        runs = f"{args.fanout_repeats} x {args.fanout_subscribers} subscribers"
        print(f"trigger fan-out vs raw Query + PutEvents, {runs}...", flush=True)
        fanout = measure_fanout(args.fanout_subscribers, args.fanout_repeats)
    changes: dict[str, Any] = {}
    if not args.skip_change_events:
        print(f"change-event consumer vs raw PutEvents, {args.change_events_repeats} x {args.change_events}...")
        changes = measure_change_events(args.change_events, args.change_events_repeats)

    results = {
        **request_results(requests),
        "dynamodb_operations": requests,
        "warm_overhead_ms": warm["warm_overhead_ms"],
        "warm": warm,
        **cold_start_results(cold),
        "bulk_vs_raw_ratio": bulk.get("bulk_vs_raw_ratio"),
        "bulk": bulk,
        "fanout_vs_raw_ratio": fanout.get("fanout_vs_raw_ratio"),
        "fanout": fanout,
        "change_events_vs_raw_ratio": changes.get("change_events_vs_raw_ratio"),
        "change_events": changes,
    }
    results["budgets"] = check(results)

    print()
    print(f"{'operation':<30} {'DynamoDB requests':<18} operations")
    for name, ops in requests.items():
        print(f"{name:<30} {sum(ops.values()):<18} {ops}")
    print_cold_start(cold)
    print(
        f"\nwarm CPU per identify: handler {warm['identify_cpu_ms']} ms, minimal UpdateItem handler "
        f"{warm['minimal_cpu_ms']} ms: overhead {warm['warm_overhead_ms']} ms (median of {warm['repeats']} x "
        f"{warm['requests']} requests)"
    )
    if bulk:
        print(
            f"\nbulk pipeline {bulk['pipeline_rows_per_s']} rows/s vs raw UpdateItem {bulk['raw_rows_per_s']} rows/s "
            f"({bulk['raw_threads']} threads): ratio {bulk['bulk_vs_raw_ratio']}"
        )
    if fanout:
        print(
            f"\nfan-out of {fanout['subscribers']} subscribers {fanout['fanout_recipients_per_s']} recipients/s vs raw "
            f"Query + PutEvents {fanout['raw_recipients_per_s']} recipients/s: ratio {fanout['fanout_vs_raw_ratio']}"
        )
    if changes:
        print(
            f"\nchange-event consumer {changes['consumer_events_per_s']} events/s vs raw PutEvents "
            f"{changes['raw_events_per_s']} events/s: ratio {changes['change_events_vs_raw_ratio']}"
        )
    print_budgets(results["budgets"])
    write_results(args.output or RESULTS, results)
    print(f"took {(time.monotonic() - started) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
