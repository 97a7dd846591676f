"""bench/instructions.py: callgrind's totals are read right, are repeatable, and are skipped without valgrind."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench import instructions
from bench.__main__ import cold_start_results
from local.layer import ROOT, LambdaLayout

CALLGRIND_HEADER = "# callgrind format\nversion: 1\ncreator: callgrind-3.19.0\ncmd: python -S -s -c pass\n"


def test_callgrind_total_with_totals_line_returns_its_ir() -> None:
    # Given an output file as callgrind 3.19 writes it (summary in the header, totals at the end)
    output = CALLGRIND_HEADER + "events: Ir\nsummary: 1234\n\nfn=(1) main\n3 1234\n\ntotals: 1234\n"

    # When / Then
    assert instructions.callgrind_total(output) == 1234


def test_callgrind_total_with_summary_only_returns_the_summary() -> None:
    output = CALLGRIND_HEADER + "events: Ir\nsummary: 987654321\nfn=(1) main\n3 987654321\n"

    assert instructions.callgrind_total(output) == 987654321


def test_callgrind_total_with_cache_simulation_events_returns_the_ir_column() -> None:
    # Given a run where a valgrind option file turned the cache simulation on: more event columns
    output = CALLGRIND_HEADER + "events: Dr Dw Ir I1mr\nsummary: 10 20 300 4\ntotals: 10 20 300 4\n"

    assert instructions.callgrind_total(output) == 300


@pytest.mark.parametrize(
    "output",
    [CALLGRIND_HEADER + "events: Dr Dw\ntotals: 1 2\n", CALLGRIND_HEADER + "events: Ir\nfn=(1) main\n"],
    ids=["no Ir event", "no totals"],
)
def test_callgrind_total_without_an_ir_total_raises(output: str) -> None:
    with pytest.raises(ValueError):
        instructions.callgrind_total(output)


def test_measure_instructions_without_valgrind_counts_nothing_and_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given a machine without valgrind
    monkeypatch.setattr(instructions.shutil, "which", lambda name: None)
    layout = LambdaLayout(source=ROOT, layer=tmp_path)

    # When
    counted = instructions.measure_instructions(layout, {"identify": "functions.identify.app"}, "json", jobs=1)

    # Then: nothing is counted, the reason is given, and the results keys are null
    assert counted["available"] is False
    assert counted["reason"] == "valgrind is not installed"
    results = cold_start_results(
        {"imports": _wall_clock_figures(), "first_request": _first_request(), "instructions": counted, "python": "3"}
    )
    assert results["cold_import_instructions_ratio"] is None
    assert results["cold_import_instructions_worst_handler"] is None
    assert results["powertools_floor_instructions_ratio"] is None
    assert results["cold_import_instructions_over_floor"] is None
    assert results["boto3_import_instructions"] is None


@pytest.mark.skipif(instructions.valgrind() is None, reason="valgrind is not installed")
def test_count_of_one_import_run_twice_is_the_same_within_a_thousandth(tmp_path: Path) -> None:
    # Given the Lambda-like command with an empty layer, so only the standard library is there
    tool = instructions.valgrind()
    assert tool is not None
    layout = LambdaLayout(source=ROOT, layer=tmp_path, python=sys.executable)
    code = instructions.import_code("json")

    # When the same import is counted twice
    first = instructions.count(tool, layout, code, tmp_path / "first.out")
    second = instructions.count(tool, layout, code, tmp_path / "second.out")
    start = instructions.count(tool, layout, instructions.START_AND_EXIT, tmp_path / "start.out")

    # Then the counts agree, and importing costs more than starting alone
    assert abs(first - second) <= first / 1_000  # wall-clock times of the same import move by 20 %
    assert first > start > 0


def _wall_clock_figures() -> dict[str, object]:
    figures = {"ms": 1.0, "ratio_to_boto3": 1.1, "ratio_quartiles": [1.0, 1.2]}
    return {
        "repeats": 2,
        "boto3_ms": 1.0,
        "handlers": {"identify": figures},
        "identify_traced": figures,
        "powertools_floor": figures,
        "worst_handler": "identify",
        "over_floor": 0.0,
    }


def _first_request() -> dict[str, object]:
    return {"peak_rss_mb": 60.0, "cold_start_ratio": 1.5, "cold_start_floor_ratio": 1.4, "cold_start_over_floor": 0.1}
