"""The goals the figures of `bench/results.json` are held to, and whether one run meets them.

A missed budget is reported, never an error: the bench is a measurement (cold-start wall-clock ratios
in particular hold only on a quiet machine), and `make bench` exits 0 either way.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_COMPARE: dict[str, Callable[[float, float], bool]] = {"==": operator.eq, "<=": operator.le, ">=": operator.ge}


@dataclass(frozen=True)
class Budget:
    key: str
    """A top-level key of `bench/results.json`."""
    comparison: str
    """`==`, `<=` or `>=`."""
    limit: float

    @property
    def goal(self) -> str:
        return f"{self.comparison} {self.limit:g}"

    def met(self, measured: float | None) -> bool | None:
        """None when the figure was not measured in this run."""
        return None if measured is None else _COMPARE[self.comparison](measured, self.limit)


BUDGETS = (
    Budget("identify_dynamodb_requests", "==", 1),
    Budget("identify_dynamodb_reads", "==", 0),
    Budget("get_dynamodb_requests", "==", 1),
    Budget("delete_dynamodb_requests", "<=", 2),
    Budget("channel_data_get_dynamodb_requests", "==", 1),
    Budget("channel_data_set_dynamodb_requests", "==", 1),
    Budget("channel_data_unset_dynamodb_requests", "==", 1),
    Budget("preferences_get_dynamodb_requests", "==", 1),
    Budget("preferences_replace_dynamodb_requests", "==", 1),
    Budget("preferences_merge_dynamodb_requests", "<=", 2),  # a read, then a conditional write
    Budget("preferences_unset_dynamodb_requests", "==", 1),
    Budget("warm_overhead_ms", "<=", 1.0),
    Budget("peak_rss_mb", "<=", 80),
    Budget("bulk_vs_raw_ratio", ">=", 0.9),
    Budget("fanout_vs_raw_ratio", ">=", 0.8),
    Budget("change_events_vs_raw_ratio", ">=", 0.8),
    Budget("cold_import_instructions_ratio", "<=", 1.0),
    Budget("cold_import_over_floor", "<=", 0.05),
    Budget("cold_import_ratio", "<=", 1.2),  # on a quiet machine
    Budget("cold_start_ratio", "<=", 1.5),  # on a quiet machine
    # What our own code adds over the stack it is built on, measured in the same run: the two ratios
    # above cannot go below their floors (README, "Performance").
    Budget("cold_import_instructions_over_floor", "<=", 0.05),
    Budget("cold_start_over_floor", "<=", 0.1),
)


def check(results: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each budget whose key `results` has: its goal, the measured figure and whether it is met."""
    return {
        budget.key: {"goal": budget.goal, "measured": results[budget.key], "met": budget.met(results[budget.key])}
        for budget in BUDGETS
        if budget.key in results
    }


def missed(checked: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return [key for key, verdict in checked.items() if verdict["met"] is False]


def print_budgets(checked: Mapping[str, Mapping[str, Any]]) -> None:
    print(f"\n{'budget':<40} {'goal':<8} {'measured':<10} verdict")
    for key, verdict in checked.items():
        measured = "-" if verdict["measured"] is None else verdict["measured"]
        state = {True: "met", False: "MISSED", None: "not measured"}[verdict["met"]]
        print(f"{key:<40} {verdict['goal']:<8} {measured!s:<10} {state}")
    failed = missed(checked)
    if failed:
        print(f"missed {len(failed)} of {len(checked)} budgets: {', '.join(failed)} (reported, not an error)")
    else:
        print(f"every measured budget is met ({len(checked)} checked)")
