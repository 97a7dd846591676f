"""bench/budgets.py: each budget says met, missed or not measured; a miss is reported, not raised."""

from __future__ import annotations

import json

import pytest

from bench.__main__ import RESULTS, handlers_of
from bench.budgets import BUDGETS, check, missed, print_budgets
from local.layer import ROOT


def test_check_with_figures_on_both_sides_of_their_goals_says_which_are_met() -> None:
    # Given one figure within its goal, one beyond it and one not measured
    results = {"cold_import_instructions_ratio": 0.98, "cold_import_over_floor": 0.08, "bulk_vs_raw_ratio": None}

    # When
    checked = check(results)

    # Then
    assert checked == {
        "bulk_vs_raw_ratio": {"goal": ">= 0.9", "measured": None, "met": None},
        "cold_import_instructions_ratio": {"goal": "<= 1", "measured": 0.98, "met": True},
        "cold_import_over_floor": {"goal": "<= 0.05", "measured": 0.08, "met": False},
    }
    assert missed(checked) == ["cold_import_over_floor"]


def test_check_with_exact_counts_holds_them_to_equality() -> None:
    checked = check({"identify_dynamodb_requests": 2, "identify_dynamodb_reads": 0, "delete_dynamodb_requests": 2})

    assert [verdict["met"] for verdict in checked.values()] == [False, True, True]


def test_print_budgets_with_a_miss_names_it_without_raising(capsys: pytest.CaptureFixture[str]) -> None:
    print_budgets(check({"cold_import_ratio": 1.28, "cold_start_ratio": 1.4}))

    printed = capsys.readouterr().out.splitlines()
    assert ["cold_import_ratio", "<=", "1.2", "1.28", "MISSED"] in [line.split() for line in printed]
    assert ["cold_start_ratio", "<=", "1.5", "1.4", "met"] in [line.split() for line in printed]
    assert printed[-1] == "missed 1 of 2 budgets: cold_import_ratio (reported, not an error)"


def test_every_budget_is_a_top_level_key_of_the_committed_results() -> None:
    results = json.loads(RESULTS.read_text(encoding="utf-8"))

    assert [budget.key for budget in BUDGETS if budget.key not in results] == []
    assert set(results["budgets"]) == {budget.key for budget in BUDGETS}


def test_handlers_of_this_checkout_lists_every_function_folder() -> None:
    handlers = handlers_of(ROOT)

    folders = {path.parent.name for path in (ROOT / "functions").glob("*/app.py")}
    assert set(handlers) == folders
    assert handlers["identify"] == "functions.identify.app"
