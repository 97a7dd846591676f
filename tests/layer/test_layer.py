"""The layer as `sam build` makes it (built here for this machine's CPU): complete, shipped with
bytecode, and each handler importing only what every one of its requests needs."""

from __future__ import annotations

import importlib.util
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.layer import ROOT, LambdaLayout, lambda_layout
from local.template import handler_location, resources_of_type

HANDLER_MODULES = sorted(
    handler_location(function["Properties"])[0] for function in resources_of_type("AWS::Serverless::Function").values()
)
LOADED_ON_DEMAND = (
    "boto3",  # with the first client
    "botocore.exceptions",  # with boto3: errors are caught as the client's own `exceptions.ClientError`
    "aws_xray_sdk.core",  # only where tracing is on
    "aws_lambda_powertools.utilities.idempotency",  # with the first Idempotency-Key
    "aws_lambda_powertools.utilities.parameters",  # with the first secret key to check
    "jwt",  # with the first public-key request: its user token is verified (auth/client.py)
    "cryptography",
    "recipients.auth.client",
    "concurrent.futures.thread",  # with the first request that writes in parallel (kernel/parallel.py)
)
NEVER_NEEDED = (
    # Powertools' batch module loads these pydantic event models if pydantic is loaded before it
    "aws_lambda_powertools.utilities.parser",
)
HASH_BASED_UNCHECKED = 0b01
"""The flags word of a .pyc made with `--invalidation-mode unchecked-hash` (PEP 552)."""


@pytest.fixture(scope="module")
def layout() -> Iterator[LambdaLayout]:
    with lambda_layout() as built:
        yield built


def run_in_lambda_layout(layout: LambdaLayout, code: str, **environment: str) -> str:
    """`code` in a fresh interpreter that sees the functions and the layer only, as on Lambda."""
    base = {name: value for name, value in os.environ.items() if not name.startswith(("POWERTOOLS_", "LAMBDA_"))}
    result = subprocess.run(
        layout.command("-c", code),
        cwd=layout.task_root,
        env=layout.environment({**base, "AWS_DEFAULT_REGION": "us-east-1", **environment}),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def bytecode_flags(root: Path) -> dict[str, int | None]:
    """The flags word of each module's .pyc under `root`, by path; None where there is none of this Python."""
    flags: dict[str, int | None] = {}
    for source in sorted(root.rglob("*.py")):
        compiled = Path(importlib.util.cache_from_source(str(source)))
        header = compiled.read_bytes()[:8] if compiled.exists() else b""
        ours = header[:4] == importlib.util.MAGIC_NUMBER
        flags[str(source.relative_to(root))] = int.from_bytes(header[4:8], "little") if ours else None
    return flags


def test_every_module_ships_bytecode_that_the_runtime_uses_without_checking_the_source(layout: LambdaLayout) -> None:
    flags = bytecode_flags(layout.layer)
    assert len(flags) > 500  # powertools, pydantic, boto3, botocore and ours
    wrong = {name: flag for name, flag in flags.items() if flag != HASH_BASED_UNCHECKED}
    assert not wrong, f"{len(wrong)} modules without usable bytecode, e.g. {sorted(wrong)[:5]}"
    assert "recipients/users/service.py" in flags


def test_every_function_ships_its_bytecode_too(layout: LambdaLayout) -> None:
    assert layout.functions is not None
    packaged = layout.functions / "functions"
    flags = {name: flag for name, flag in bytecode_flags(packaged).items() if name != "__init__.py"}  # the harness's
    assert {f"{module.split('.')[1]}/app.py" for module in HANDLER_MODULES} <= set(flags)
    wrong = {name: flag for name, flag in flags.items() if flag != HASH_BASED_UNCHECKED}
    assert not wrong, f"{len(wrong)} function modules without usable bytecode, e.g. {sorted(wrong)[:5]}"


def test_a_handler_runs_the_shipped_function_not_the_checkouts(layout: LambdaLayout) -> None:
    assert layout.functions is not None
    code = "import functions.identify.app as handler; print(handler.__file__)"
    assert Path(run_in_lambda_layout(layout, code).strip()).is_relative_to(layout.functions)


@pytest.mark.parametrize("module", HANDLER_MODULES)
def test_importing_a_handler_loads_nothing_that_only_some_requests_need(layout: LambdaLayout, module: str) -> None:
    unwanted = (*LOADED_ON_DEMAND, *NEVER_NEEDED)
    code = f"import sys, {module}; print([name for name in {unwanted!r} if name in sys.modules])"
    assert run_in_lambda_layout(layout, code, POWERTOOLS_TRACE_DISABLED="true").strip() == "[]"


def test_what_handlers_load_on_demand_is_in_the_layer(layout: LambdaLayout) -> None:
    code = f"import importlib; [importlib.import_module(name) for name in {LOADED_ON_DEMAND!r}]; print('ok')"
    assert run_in_lambda_layout(layout, code).strip() == "ok"


@pytest.mark.parametrize(
    ("environment", "traced"),
    [
        ({"LAMBDA_TASK_ROOT": str(ROOT)}, True),
        ({"LAMBDA_TASK_ROOT": str(ROOT), "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({}, False),  # outside Lambda
    ],
)
def test_a_handler_loads_the_xray_sdk_exactly_where_powertools_traces(
    layout: LambdaLayout, environment: dict[str, str], traced: bool
) -> None:
    code = "import sys, functions.identify.app; print('aws_xray_sdk.core' in sys.modules)"
    assert run_in_lambda_layout(layout, code, **environment).strip() == str(traced)


API_GLUE = {"kernel", "http", "auth"}
FEATURES_LOADED = {
    "functions.authorizer.app": {"kernel", "auth"},
    # inline channel data and preference sets load their rules with the first body holding them
    "functions.identify.app": API_GLUE | {"identity", "users", "preferences"},
    # users/store.py lists with include[]=preferences: it reads stored sets (preferences/sets.py, no grammar);
    # the services that delete users, objects and tenants queue the clean-up of their subscriptions
    # (subscriptions/cleanup.py: no model of theirs)
    "functions.get.app": API_GLUE | {"identity", "users", "preferences", "subscriptions"},
    "functions.delete.app": API_GLUE | {"identity", "users", "preferences", "subscriptions"},
    "functions.merge.app": API_GLUE | {"identity", "users", "preferences", "subscriptions"},
    "functions.objects.app": API_GLUE | {"identity", "objects", "preferences", "subscriptions"},
    "functions.channel_data.app": API_GLUE | {"identity", "channels"},
    "functions.preferences.app": API_GLUE | {"identity", "preferences"},
    # a bulk write checks each row with its resource's rules; a bulk delete needs no model of theirs
    "functions.bulk_identify.app": API_GLUE | {"identity", "users", "bulk"},
    "functions.bulk_preferences.app": API_GLUE | {"identity", "preferences", "bulk"},
    "functions.bulk_delete.app": API_GLUE | {"identity", "bulk"},
    # bulk subscriptions check their entries' inline recipients with the users' rules, loaded with the first
    "functions.objects_bulk.app": API_GLUE | {"identity", "objects", "bulk", "subscriptions"},
    "functions.bulk_operations.app": API_GLUE | {"bulk"},
    # the queue's rows are planned writes: the worker needs no user or object model (subscription rows
    # load subscriptions/writes.py with the first one)
    "functions.bulk_worker.app": {"kernel", "identity", "bulk"},
    "functions.bulk_dead_letter.app": {"kernel", "identity", "bulk"},
    "functions.subscription_cleanup.app": {"kernel", "identity", "subscriptions"},
    # a trigger identifies inline users and objects with their own rules, loaded with the first one
    "functions.trigger.app": API_GLUE | {"identity", "workflows"},
    "functions.cancel.app": API_GLUE | {"identity", "workflows"},
    # the expander walks subscriptions through their public functions (which answer users and objects)
    "functions.fanout.app": {"kernel", "identity", "users", "objects", "preferences", "subscriptions", "workflows"},
    "functions.tenants.app": API_GLUE | {"identity", "preferences", "tenants", "subscriptions"},
    # a bulk set checks each row as a set does (tenants/plans.py); deletes are the worker's
    "functions.tenants_bulk.app": API_GLUE | {"identity", "preferences", "tenants", "bulk"},
    # a subscription answers its object and recipient in full, users and objects alike
    "functions.subscriptions.app": API_GLUE | {"identity", "users", "objects", "preferences", "subscriptions"},
    # inline users are checked with the users' rules, and listed members answered as users
    "functions.audiences.app": API_GLUE | {"identity", "users", "audiences"},
    # stream records in, events out: no model of any feature
    "functions.change_events.app": {"kernel", "changes"},
    # a schedule answers its recipient in full (users/store.py and objects/store.py read stored sets); a
    # tenant is taken with the trigger's rules, loaded with the first one
    "functions.schedules.app": API_GLUE | {"identity", "users", "objects", "preferences", "schedules"},
    # checks each entry as a create does; what writes and answers one loads in the worker, with the first
    "functions.schedules_bulk.app": API_GLUE | {"identity", "schedules", "bulk"},
    # a firing is a trigger of the schedule's recipient, by the workflows' public functions
    "functions.schedule_firing.app": {"kernel", "identity", "schedules", "workflows"},
    "functions.schedule_recipient_changes.app": {"kernel", "identity", "users", "objects", "preferences", "schedules"},
    "functions.docs.app": API_GLUE,
    "functions.console.app": API_GLUE,
    "functions.fallback.app": API_GLUE,
}
"""The layer's packages each function may load: the kernel, the HTTP glue and its own feature (with
the features whose public models it uses). A stray import of another feature fails here."""


def test_every_function_of_the_template_has_its_reviewed_features() -> None:
    assert set(FEATURES_LOADED) == set(HANDLER_MODULES)


@pytest.mark.parametrize("module", HANDLER_MODULES)
def test_importing_a_handler_loads_only_its_own_features(layout: LambdaLayout, module: str) -> None:
    code = (
        f"import sys, {module}; "
        "print(' '.join(sorted({name.split('.')[1] for name in sys.modules if name.startswith('recipients.')})))"
    )
    loaded = set(run_in_lambda_layout(layout, code, POWERTOOLS_TRACE_DISABLED="true").split())
    assert loaded == FEATURES_LOADED[module]
