"""CI runs `make test` (.ci/run): it must run every test, the bulk fault tests among them, none filtered or skipped."""

from __future__ import annotations

import ast
import re
import shlex
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FILTERS = ("-m", "-k", "--deselect", "--ignore", "--ignore-glob", "--lf", "--last-failed", "-x", "--exitfirst")
"""pytest options that would leave tests out of a run."""

BULK_FAULT_TESTS = {
    "tests/unit/handlers/test_bulk_pipeline.py": [
        "test_bulk_chunk_delivered_twice_is_counted_once",
        "test_bulk_worker_crash_after_half_a_chunk_then_redelivery_counts_every_row_once",
        "test_bulk_worker_retries_throttled_writes_and_loses_nothing",
        "test_bulk_poison_chunk_goes_to_dead_letter_queue_and_operation_ends_failed_with_rows_counted",
        "test_message_that_is_not_a_chunk_is_retried_by_worker_and_dropped_by_dead_letter_function",
    ],
    "tests/unit/handlers/test_objects_bulk.py": [
        "test_bulk_set_chunk_dead_lettered_ends_failed_with_its_rows_listed_in_their_collection",
    ],
    "tests/unit/handlers/test_fanout.py": [
        "test_expander_crash_after_half_the_parts_then_redelivery_puts_everyone_once",
        "test_expander_message_delivered_twice_puts_each_part_the_same",
        "test_several_objects_share_subscribers_and_each_is_notified_once",
    ],
    "tests/integration/test_local_queues.py": [
        "test_poller_redelivers_only_the_reported_batch_item_failures",
        "test_poller_redelivers_the_whole_batch_when_the_function_raises",
        "test_poison_message_goes_to_the_dead_letter_queue_and_its_function",
        "test_template_queues_send_a_poison_chunk_to_the_dead_letter_function",
    ],
}
"""Worker crash mid-batch, redelivery, throttling and the dead-letter queue, in-process and on moto server."""


def make_recipe(target: str) -> list[str]:
    lines = (REPO / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"^{target}:", line))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip().lstrip("@"))
    return recipe


def leaves_tests_out(arguments: list[str]) -> list[str]:
    return [arg for arg in arguments if arg.split("=", 1)[0] in FILTERS]


def test_ci_runs_make_test() -> None:
    commands = [line for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert commands[-1] == "make test"


def test_make_test_runs_pytest_on_the_whole_tests_tree_unfiltered() -> None:
    pytest_lines = [line for line in make_recipe("test") if line.startswith("$(PYTEST)")]
    assert len(pytest_lines) == 1, make_recipe("test")
    arguments = shlex.split(pytest_lines[0])[1:]
    assert "tests" in arguments
    assert [arg for arg in arguments if arg.startswith("tests/")] == []  # no narrower path instead
    assert leaves_tests_out(arguments) == []
    pytest_options = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]
    assert leaves_tests_out(shlex.split(pytest_options["ini_options"].get("addopts", ""))) == []


def test_no_conftest_deselects_or_skips_tests() -> None:
    for conftest in (REPO / "tests").rglob("conftest.py"):
        text = conftest.read_text(encoding="utf-8")
        for hook in ("pytest_collection_modifyitems", "pytest_ignore_collect", "pytest.skip", "skipif", "xfail"):
            assert hook not in text, f"{conftest.relative_to(REPO)} uses {hook}"


def test_bulk_fault_tests_exist_and_are_not_skipped() -> None:
    for path, names in BULK_FAULT_TESTS.items():
        module = ast.parse((REPO / path).read_text(encoding="utf-8"))
        tests = {node.name: node for node in module.body if isinstance(node, ast.FunctionDef)}
        assert set(names) <= set(tests), f"{path} lacks {sorted(set(names) - set(tests))}"
        for name in names:
            marks = [ast.unparse(decorator) for decorator in tests[name].decorator_list]
            assert not [mark for mark in marks if re.search(r"\b(skip|skipif|xfail)\b", mark)], f"{path}::{name}"
        module_marks = [
            ast.unparse(node.value)
            for node in module.body
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in node.targets)
        ]
        assert not [mark for mark in module_marks if re.search(r"\b(skip|skipif|xfail)\b", mark)], path
