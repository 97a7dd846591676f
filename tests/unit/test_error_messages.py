"""Every error the models can produce reads in the service's own words, not pydantic's.

Every field of every model in the layer is given a range of bad values (each JSON type, empty and
oversized strings and lists, unpaired surrogates, nested garbage); every error pydantic reports is
put through `error_message`, as the API does before answering. A pydantic error type without a
message of ours, or a message that still reads like pydantic, fails here.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

import recipients
from recipients.kernel.errors import error_message
from recipients.kernel.messages import KNOWN_TYPES, pydantic_error_types, service_message
from recipients.kernel.models import Model

PYDANTIC_WORDING = re.compile(
    r"Input should|after validation|Value error,|Assertion failed|Field required|Extra inputs|valid dictionary"
    r"|instance of|should have|unable to"
)
BAD_VALUES: list[Any] = [
    None, True, 0, -1, 1.5, 10**30, "", " ", "x", "x" * 100_001, "\ud800", "2020-13-45T99:00:00Z", "a#b/c",
    [], [None], [1], ["x"] * 2_001, [{}] * 1_001, {}, {"a": 1}, {"a": {"b": []}}, {"id": None},
]  # fmt: skip


def every_model() -> list[type[Model]]:
    for module in pkgutil.walk_packages(recipients.__path__, "recipients."):
        if module.name.endswith(".models"):
            importlib.import_module(module.name)

    def below(cls: type[Model]) -> Iterator[type[Model]]:
        for subclass in cls.__subclasses__():
            yield subclass
            yield from below(subclass)

    return sorted(set(below(Model)), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def errors_of(model: type[Model]) -> Iterator[dict[str, Any]]:
    inputs: list[Any] = [None, 1, "x", [], {}, {"unknown_field": 1}]
    for name, field in model.model_fields.items():
        inputs += [{field.alias or name: value} for value in BAD_VALUES]
    for value in inputs:
        try:
            model.model_validate(value)
        except ValidationError as exc:
            yield from (dict(error) for error in exc.errors())


MODELS = every_model()


def test_the_walk_reaches_every_model_in_the_layer() -> None:
    assert len(MODELS) > 50
    names = {cls.__name__ for cls in MODELS}
    assert {"BulkIdentifyRequest", "IdentifyUserRequest", "TriggerWorkflowRequest", "AddSubscriptionsRequest"} <= names


@pytest.mark.parametrize("model", MODELS, ids=lambda cls: f"{cls.__module__.split('.')[1]}.{cls.__qualname__}")
def test_every_error_of_the_model_reads_in_the_services_words(model: type[Model]) -> None:
    errors = list(errors_of(model))
    assert errors, "no bad input made this model complain"
    for error in errors:
        message = error_message(error)
        assert error["type"] in KNOWN_TYPES or error["type"] not in pydantic_error_types(), error
        assert not PYDANTIC_WORDING.search(message), (error["type"], error["msg"], message)
        assert message and message != "is invalid", error


@pytest.mark.parametrize(
    ("error", "message"),
    [
        ({"type": "string_type", "loc": ("name",), "msg": "Input should be a valid string"}, "must be a string"),
        (
            {"type": "too_short", "loc": ("body", "users"), "ctx": {"min_length": 1, "actual_length": 0}},
            "must hold at least 1 user",
        ),
        (
            {"type": "too_long", "loc": ("users",), "ctx": {"max_length": 1000, "actual_length": 2001}},
            "must hold at most 1,000 users, not 2,001",
        ),
        (
            {"type": "too_long", "loc": ("entries", 3, "recipients"), "ctx": {"max_length": 100}},
            "must hold at most 100 recipients",
        ),
        ({"type": "too_short", "loc": (0,), "ctx": {"min_length": 2}}, "must hold at least 2 items"),
        ({"type": "missing", "loc": ("id",), "msg": "Field required"}, "is required"),
        ({"type": "less_than_equal", "loc": ("query", "page_size"), "ctx": {"le": 50}}, "must be at most 50"),
        ({"type": "literal_error", "loc": ("x", 0), "ctx": {"expected": "'preferences'"}}, "must be 'preferences'"),
        ({"type": "value_error", "loc": ("locale",), "msg": "Value error, must be a locale"}, "must be a locale"),
        ({"type": "invalid_setting", "loc": ("x",), "msg": "must be true or false"}, "must be true or false"),
        ({"type": "complex_type", "loc": ("x",), "msg": "Input should be a valid complex number"}, "is invalid"),
    ],
    ids=["string", "too-short", "too-long", "nested-list", "unnamed-list", "missing", "le", "literal", "value-error",
         "custom-type", "unforeseen-type"],
)  # fmt: skip
def test_messages(error: dict[str, Any], message: str) -> None:
    assert service_message(error) == message
