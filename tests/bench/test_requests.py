"""bench/__main__.py: the request counts of each operation become the figures their budgets hold."""

from __future__ import annotations

from bench.__main__ import request_results
from bench.budgets import BUDGETS
from bench.layer_calls import store_operations


def test_request_results_with_a_costlier_write_on_a_new_user_keeps_the_worse_count() -> None:
    # Given every operation at one UpdateItem, but a merge that creates its user reading first
    requests = {name: {"UpdateItem": 1} for name in store_operations("bench")}
    requests["preferences_merge_new_user"] = {"GetItem": 1, "UpdateItem": 1}

    # When
    results = request_results(requests)

    # Then
    assert results["preferences_merge_dynamodb_requests"] == 2
    assert results["preferences_replace_dynamodb_requests"] == 1
    assert results["channel_data_set_dynamodb_requests"] == 1


def test_request_results_of_the_counted_operations_give_every_request_budget() -> None:
    results = request_results({name: {} for name in store_operations("bench")})

    budgeted = {budget.key for budget in BUDGETS if budget.key.endswith(("_dynamodb_requests", "_dynamodb_reads"))}
    assert budgeted - set(results) == set()
    assert {"channel_data_set_dynamodb_requests", "preferences_merge_dynamodb_requests"} <= budgeted
