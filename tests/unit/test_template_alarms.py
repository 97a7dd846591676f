"""Every alarm of template.yaml reaches someone: it notifies the stack's SNS topic when it fires and when
it clears, and the AlarmEmail parameter, when given, subscribes that address to the topic."""

from __future__ import annotations

from typing import Any

import pytest

from local.template import load_template, resources_of_type

TEMPLATE = load_template()
ALARMS = resources_of_type("AWS::CloudWatch::Alarm", TEMPLATE)


def test_the_template_has_alarms_and_one_topic_for_them() -> None:
    assert ALARMS, "no alarm found: the test would check nothing"
    assert list(resources_of_type("AWS::SNS::Topic", TEMPLATE)) == ["AlarmTopic"]


@pytest.mark.parametrize("alarm", sorted(ALARMS))
def test_every_alarm_notifies_the_topic_when_it_fires_and_when_it_clears(alarm: str) -> None:
    properties: dict[str, Any] = ALARMS[alarm]["Properties"]

    assert properties.get("AlarmActions") == [{"Ref": "AlarmTopic"}]
    assert properties.get("OKActions") == [{"Ref": "AlarmTopic"}]
    assert properties.get("ActionsEnabled", True) is True


def test_alarm_email_subscribes_to_the_topic_only_when_given() -> None:
    parameter = TEMPLATE["Parameters"]["AlarmEmail"]
    assert parameter["Default"] == ""
    assert TEMPLATE["Conditions"]["AlarmEmailGiven"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}

    (subscription,) = resources_of_type("AWS::SNS::Subscription", TEMPLATE).values()

    assert subscription["Condition"] == "AlarmEmailGiven"
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }


def test_the_topic_is_an_output_for_other_subscribers() -> None:
    assert TEMPLATE["Outputs"]["AlarmTopicArn"]["Value"] == {"Ref": "AlarmTopic"}


FUNCTIONS = resources_of_type("AWS::Serverless::Function", TEMPLATE)
ASYNCHRONOUS = sorted(
    name
    for name, spec in FUNCTIONS.items()
    if any(event["Type"] == "EventBridgeRule" for event in spec["Properties"].get("Events", {}).values())
    or name == "ScheduleFiringFunction"  # EventBridge Scheduler's target (SchedulerRole invokes it)
)


@pytest.mark.parametrize("function", ASYNCHRONOUS)
def test_what_an_asynchronous_function_fails_to_run_lands_in_a_queue_an_alarm_watches(function: str) -> None:
    # Lambda retries an asynchronous invocation twice, then drops it unless the function has a dead-letter queue
    dead_letter = FUNCTIONS[function]["Properties"].get("DeadLetterQueue")
    assert dead_letter is not None and dead_letter["Type"] == "SQS", f"{function} drops what keeps failing"
    queue = dead_letter["TargetArn"]["Fn::GetAtt"][0]
    watched = [
        alarm
        for alarm in ALARMS.values()
        if {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}} in alarm["Properties"]["Dimensions"]
    ]
    assert watched, f"no alarm watches {queue}"


def test_the_asynchronous_functions_are_found() -> None:
    assert ASYNCHRONOUS == ["ScheduleFiringFunction", "ScheduleRecipientChangesFunction"]
