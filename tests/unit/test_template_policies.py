"""Each function's IAM policy in template.yaml names only this stack's resources and the actions it needs.

1. Every statement names resources of this stack (a `!GetAtt X.Arn`, a `!Sub` under one, or the SSM
   parameter of the key hashes) and no action or resource is a wildcard.
2. Each function's grants equal the reviewed table below, so widening a policy is a visible change.
3. The AWS calls each function makes while it runs its sample events (and the failure paths samples
   don't reach) against moto are all granted, and every grant is used there or listed as unreachable.
   Calls are recorded by a botocore hook (tests/aws_calls.py) and turned into what IAM checks: a
   SAM policy template's wildcard (`sqs:SendMessage*`) covers SendMessageBatch, and a transaction
   is checked item by item (Update -> dynamodb:UpdateItem), as IAM does.

Out of scope: what SAM adds by itself (AWSLambdaBasicExecutionRole for logs, X-Ray write access for
`Tracing: Active`, AWSLambdaSQSQueueExecutionRole for an SQS event source, AWSLambdaDynamoDBExecutionRole
for a DynamoDB stream event source, and sqs:SendMessage on the queue of an OnFailure destination of
`Type: SQS` or of a function's `DeadLetterQueue`): Lambda uses those, not the function's code.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fnmatch import fnmatchcase
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import ClientError

from local.template import load_template, resources_of_type
from recipients.auth.keys import hash_key
from recipients.kernel.aws import dynamodb
from recipients.subscriptions import sweep
from tests.aws_calls import AwsCall, recording
from tests.conftest import (
    EVENTS_DIR,
    BulkQueues,
    CleanupQueues,
    EventLoader,
    FakeLambdaContext,
    UserTokens,
    WorkflowBus,
    armed_schedules,
    function_for_event,
    function_handler,
)
from tests.unit.bulk_queue import deliver

Grant = tuple[str, str]
"""(IAM action, which may end in `*`; this stack's resource as `<LogicalId>[/<path>]` or `parameter:<Name>`)"""

ITEM_CRUD = ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
IDEMPOTENCY = {(action, "IdempotencyTable") for action in ITEM_CRUD}
"""What Powertools idempotency needs on its table (DeleteItem: a failed request releases its key)."""

SIGNING_KEYS: Grant = ("ssm:GetParameter", "parameter:SigningPublicKeysParameterName")
"""The user tokens' public keys: what the functions browsers may call read with their first public-key request."""
CLEANUP: Grant = ("sqs:SendMessage*", "SubscriptionCleanupQueue")
"""What every function that deletes users or objects needs: it queues the clean-up of their subscriptions."""
BULK_INTAKE: set[Grant] = {
    ("sqs:SendMessage*", "BulkQueue"),
    ("dynamodb:PutItem", "RecipientsTable"),  # the operation
    ("dynamodb:BatchWriteItem", "RecipientsTable"),  # its error pages
    ("dynamodb:UpdateItem", "RecipientsTable"),  # chunks SQS refused counted as failed, then re-read
    ("dynamodb:GetItem", "RecipientsTable"),
    ("dynamodb:BatchGetItem", "RecipientsTable"),
}
"""What every function that starts a bulk operation may do."""
ARM: set[Grant] = {("scheduler:CreateSchedule", "ScheduleGroup/*"), ("iam:PassRole", "SchedulerRole")}
"""What every function that arms an occurrence needs: a one-time schedule in the stack's group, invoking
the firing function with the role Scheduler assumes (CreateSchedule passes it)."""
DISARM: Grant = ("scheduler:DeleteSchedule", "ScheduleGroup/*")

EXPECTED_GRANTS: dict[str, set[Grant]] = {
    "AuthorizerFunction": {("ssm:GetParameter", "parameter:ApiKeyHashesParameterName")},
    "IdentifyFunction": {("dynamodb:UpdateItem", "RecipientsTable"), *IDEMPOTENCY, SIGNING_KEYS},
    "GetFunction": {
        ("dynamodb:GetItem", "RecipientsTable"),
        ("dynamodb:Query", "RecipientsTable/index/by_list"),
        SIGNING_KEYS,
    },
    "DeleteFunction": {("dynamodb:DeleteItem", "RecipientsTable"), CLEANUP},
    "BulkIdentifyFunction": {*BULK_INTAKE, *IDEMPOTENCY},
    "BulkDeleteFunction": BULK_INTAKE,
    "BulkWorkerFunction": {
        ("dynamodb:UpdateItem", "RecipientsTable"),
        ("dynamodb:DeleteItem", "RecipientsTable"),
        ("dynamodb:BatchWriteItem", "RecipientsTable"),
        ("dynamodb:GetItem", "RecipientsTable"),  # an inline recipient's preferences deep-merged
        ("dynamodb:BatchGetItem", "RecipientsTable"),  # subscribers given by id checked, subscriptions found
        CLEANUP,
        *ARM,  # bulk-created schedules
    },
    "SubscriptionCleanupFunction": {
        ("dynamodb:Query", "RecipientsTable/index/by_list"),
        ("dynamodb:BatchWriteItem", "RecipientsTable"),
        CLEANUP,  # the continuation of a long list
    },
    "BulkDeadLetterFunction": {
        ("dynamodb:UpdateItem", "RecipientsTable"),
        ("dynamodb:BatchWriteItem", "RecipientsTable"),
    },
    "BulkOperationsFunction": {("dynamodb:GetItem", "RecipientsTable"), ("dynamodb:BatchGetItem", "RecipientsTable")},
    "MergeFunction": {
        ("dynamodb:GetItem", "RecipientsTable"),
        ("dynamodb:UpdateItem", "RecipientsTable"),
        ("dynamodb:DeleteItem", "RecipientsTable"),
        CLEANUP,
    },
    "TriggerFunction": {
        ("sqs:SendMessage*", "FanoutQueue"),
        ("dynamodb:UpdateItem", "RecipientsTable"),
        ("dynamodb:BatchGetItem", "RecipientsTable"),
        ("dynamodb:PutItem", "RecipientsTable"),
        *IDEMPOTENCY,
        ("events:PutEvents", "WorkflowEventBus"),
        ("s3:PutObject", "WorkflowDataBucket/runs/*"),
    },
    "FanoutFunction": {
        ("sqs:SendMessage*", "FanoutQueue"),  # a continuation, when the invocation runs short of time
        ("dynamodb:GetItem", "RecipientsTable"),
        ("dynamodb:UpdateItem", "RecipientsTable"),
        ("dynamodb:BatchGetItem", "RecipientsTable"),
        ("dynamodb:Query", "RecipientsTable/index/by_list"),
        ("events:PutEvents", "WorkflowEventBus"),
    },
    "CancelFunction": {
        ("dynamodb:UpdateItem", "RecipientsTable"),
        ("dynamodb:Query", "RecipientsTable/index/by_list"),
        ("events:PutEvents", "WorkflowEventBus"),
    },
    "ObjectsFunction": {
        ("dynamodb:UpdateItem", "RecipientsTable"),
        ("dynamodb:GetItem", "RecipientsTable"),
        ("dynamodb:DeleteItem", "RecipientsTable"),
        ("dynamodb:Query", "RecipientsTable/index/by_list"),
        CLEANUP,
    },
    "ObjectsBulkFunction": BULK_INTAKE,
    "ChannelDataFunction": {
        ("dynamodb:GetItem", "RecipientsTable"),
        ("dynamodb:UpdateItem", "RecipientsTable"),
        SIGNING_KEYS,
    },
    "PreferencesFunction": {
        ("dynamodb:GetItem", "RecipientsTable"),
        ("dynamodb:UpdateItem", "RecipientsTable"),
        SIGNING_KEYS,
    },
    "BulkPreferencesFunction": {*BULK_INTAKE, *IDEMPOTENCY},
    "TenantsFunction": {
        ("dynamodb:UpdateItem", "RecipientsTable"),
        ("dynamodb:GetItem", "RecipientsTable"),
        ("dynamodb:DeleteItem", "RecipientsTable"),
        ("dynamodb:Query", "RecipientsTable/index/by_list"),
        CLEANUP,
    },
    "TenantsBulkFunction": BULK_INTAKE,
    "SubscriptionsFunction": {
        ("dynamodb:UpdateItem", "RecipientsTable"),
        ("dynamodb:GetItem", "RecipientsTable"),
        ("dynamodb:BatchGetItem", "RecipientsTable"),
        ("dynamodb:BatchWriteItem", "RecipientsTable"),
        ("dynamodb:Query", "RecipientsTable/index/by_list"),
    },
    "AudiencesFunction": {
        ("dynamodb:UpdateItem", "RecipientsTable"),
        ("dynamodb:GetItem", "RecipientsTable"),
        ("dynamodb:BatchWriteItem", "RecipientsTable"),
        ("dynamodb:BatchGetItem", "RecipientsTable"),
        ("dynamodb:Query", "RecipientsTable/index/by_list"),
    },
    "ChangeEventsFunction": {
        ("events:PutEvents", "WorkflowEventBus"),
        ("dynamodb:GetItem", "RecipientsTable"),  # the checkpoint of a batch's first record
        ("dynamodb:BatchWriteItem", "RecipientsTable"),  # the batch's checkpoints
    },
    "SchedulesFunction": {
        ("dynamodb:UpdateItem", "RecipientsTable"),  # inline recipients, actor and tenant
        ("dynamodb:GetItem", "RecipientsTable"),  # an inline recipient's preferences deep-merged
        ("dynamodb:BatchGetItem", "RecipientsTable"),  # recipients exist, schedules read
        ("dynamodb:BatchWriteItem", "RecipientsTable"),  # a schedule's item and its listing items
        ("dynamodb:Query", "RecipientsTable/index/by_list"),
        *ARM,
        DISARM,  # an update re-arms, a delete cancels
    },
    "SchedulesBulkFunction": BULK_INTAKE,
    "ScheduleFiringFunction": {
        ("dynamodb:GetItem", "RecipientsTable"),  # the schedule, the recipient's zone
        ("dynamodb:UpdateItem", "RecipientsTable"),  # the schedule advanced, the tenant
        ("dynamodb:BatchGetItem", "RecipientsTable"),  # the recipient and the actor exist
        ("dynamodb:PutItem", "RecipientsTable"),  # the run
        ("events:PutEvents", "WorkflowEventBus"),
        *ARM,  # the next occurrence
    },
    "ScheduleRecipientChangesFunction": {
        ("dynamodb:GetItem", "RecipientsTable"),  # the recipient's new zone
        ("dynamodb:BatchGetItem", "RecipientsTable"),  # its schedules
        ("dynamodb:BatchWriteItem", "RecipientsTable"),  # re-timed or deleted
        ("dynamodb:Query", "RecipientsTable/index/by_list"),
        *ARM,
        DISARM,
    },
    "FallbackFunction": set(),
    "DocsFunction": set(),
    "ConsoleFunction": set(),
}

SAM_POLICY_TEMPLATES: dict[str, tuple[tuple[str, ...], str]] = {
    # name: (its actions, as SAM's policy_templates.json expands them; the parameter naming the resource)
    "SQSSendMessagePolicy": (("sqs:SendMessage*",), "QueueName"),
}
"""The SAM policy templates this stack may use. Another one must be added here, with its expansion."""

_POWERTOOLS_READS_BACK = ("dynamodb:GetItem", "IdempotencyTable")
UNREACHED_GRANTS: dict[str, set[Grant]] = {
    # Powertools idempotency reads a record back only when a refused conditional put did not return it
    "IdentifyFunction": {_POWERTOOLS_READS_BACK},
    "BulkIdentifyFunction": {_POWERTOOLS_READS_BACK},
    "BulkPreferencesFunction": {_POWERTOOLS_READS_BACK},
    "TriggerFunction": {_POWERTOOLS_READS_BACK},
}
"""Grants the calls test below cannot make a function use, each for the reason given. Every other
grant must be used there: a grant nothing uses is one to remove."""

_SSM_PARAMETER = re.compile(r"arn:\$\{AWS::Partition\}:ssm:\$\{AWS::Region\}:\$\{AWS::AccountId\}:parameter\$\{(\w+)\}")
_UNDER_RESOURCE = re.compile(r"\$\{(\w+)\.Arn\}(/.+)")
_GROUP_SCHEDULES = re.compile(
    r"arn:\$\{AWS::Partition\}:scheduler:\$\{AWS::Region\}:\$\{AWS::AccountId\}:schedule/\$\{(\w+)\}/\*"
)

FUNCTIONS = resources_of_type("AWS::Serverless::Function")
IAM_ROLE = "AWS::IAM::Role"


class PolicyError(AssertionError):
    """A policy grants something this test does not accept."""


def stack_resource(resource: Any, template: dict[str, Any]) -> str:
    """The resource a statement names, as `<LogicalId>[/<path>]` or `parameter:<Name>`."""
    resources = template["Resources"]
    if isinstance(resource, dict) and list(resource) == ["Fn::GetAtt"]:
        logical_id, attribute = resource["Fn::GetAtt"]
        if logical_id in resources and attribute == "Arn":
            return str(logical_id)
    if isinstance(resource, dict) and list(resource) == ["Fn::Sub"] and isinstance(resource["Fn::Sub"], str):
        text = resource["Fn::Sub"]
        under = _UNDER_RESOURCE.fullmatch(text)
        if under and under[1] in resources and _is_narrow_path(resources[under[1]], under[2]):
            return f"{under[1]}{under[2]}"
        group = _GROUP_SCHEDULES.fullmatch(text)
        if group and resources.get(group[1], {}).get("Type") == "AWS::Scheduler::ScheduleGroup":
            return f"{group[1]}/*"  # the schedules of this stack's group (a group's Ref is its name)
        parameter = _SSM_PARAMETER.fullmatch(text)
        if parameter and parameter[1] in template.get("Parameters", {}):
            return f"parameter:{parameter[1]}"
    raise PolicyError(f"not a resource of this stack, or not narrowly: {resource!r}")


def _is_narrow_path(spec: dict[str, Any], path: str) -> bool:
    """A table's own index, or the objects under a literal key prefix of a bucket."""
    if spec["Type"] == "AWS::DynamoDB::Table":
        properties = spec.get("Properties", {})
        indexes = properties.get("GlobalSecondaryIndexes", []) + properties.get("LocalSecondaryIndexes", [])
        return path in {f"/index/{index['IndexName']}" for index in indexes}
    if spec["Type"] == "AWS::S3::Bucket":
        return re.fullmatch(r"/[\w.-]+(/[\w.-]+)*/\*", path) is not None
    return False


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def granted(function: str, template: dict[str, Any] | None = None) -> set[Grant]:
    """Every (action, resource) a function's `Policies` allow; raises PolicyError for anything too broad."""
    template = template or load_template()
    properties = template["Resources"][function].get("Properties", {})
    if "Role" in properties:
        raise PolicyError(f"{function}: a Role of its own bypasses Policies")
    grants: set[Grant] = set()
    for policy in _as_list(properties.get("Policies", [])):
        if isinstance(policy, dict) and set(policy) <= {"Version", "Statement"} and "Statement" in policy:
            for statement in _as_list(policy["Statement"]):
                grants |= _statement_grants(function, statement, template)
        elif isinstance(policy, dict) and len(policy) == 1 and next(iter(policy)) in SAM_POLICY_TEMPLATES:
            name, arguments = next(iter(policy.items()))
            actions, parameter = SAM_POLICY_TEMPLATES[name]
            resource = _policy_template_resource(arguments.get(parameter), template)
            grants |= {(action, resource) for action in actions}
        else:
            raise PolicyError(f"{function}: a managed policy or an unknown policy template: {policy!r}")
    return grants


def _statement_grants(function: str, statement: dict[str, Any], template: dict[str, Any]) -> set[Grant]:
    if set(statement) - {"Sid", "Effect", "Action", "Resource", "Condition"} or statement.get("Effect") != "Allow":
        raise PolicyError(f"{function}: only Allow statements with Action and Resource: {statement!r}")
    actions = [str(action) for action in _as_list(statement["Action"])]
    if any("*" in action or ":" not in action for action in actions):
        raise PolicyError(f"{function}: a wildcard action: {actions}")
    resources = [stack_resource(resource, template) for resource in _as_list(statement["Resource"])]
    passed = [resource for resource in resources if template["Resources"].get(resource, {}).get("Type") == IAM_ROLE]
    if passed and actions != ["iam:PassRole"]:
        raise PolicyError(f"{function}: a role of this stack may only be passed: {statement!r}")
    if "iam:PassRole" in actions and len(passed) != len(resources):
        raise PolicyError(f"{function}: iam:PassRole on something other than a role of this stack: {statement!r}")
    return {(action, resource) for action in actions for resource in resources}


def _policy_template_resource(argument: Any, template: dict[str, Any]) -> str:
    """`QueueName: !GetAtt <Queue>.QueueName`: the queue, a resource of this stack."""
    get_att = argument.get("Fn::GetAtt") if isinstance(argument, dict) else None
    is_queue = bool(get_att) and template["Resources"].get(get_att[0], {}).get("Type") == "AWS::SQS::Queue"
    if is_queue and get_att[1] == "QueueName":
        return str(get_att[0])
    raise PolicyError(f"a policy template's resource must be a queue of this stack: {argument!r}")


def allows(grants: set[Grant], action: str, resource: str) -> bool:
    """IAM matching: actions case-insensitively, both with `*` wildcards."""
    return any(
        fnmatchcase(action.lower(), pattern.lower()) and fnmatchcase(resource, resource_pattern)
        for pattern, resource_pattern in grants
    )


# --- 1 and 2: the policies as written ----------------------------------------------------------------


def test_expected_grants_list_every_function_of_the_template() -> None:
    # A new function needs its reviewed row in EXPECTED_GRANTS, and a removed one loses it
    assert set(EXPECTED_GRANTS) == set(FUNCTIONS)


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_policy_grants_exactly_the_reviewed_actions_on_this_stacks_resources(function: str) -> None:
    # When the function's Policies are read (raising for a wildcard or a resource outside the stack)
    grants = granted(function)

    # Then they grant what was reviewed, nothing more and nothing less
    assert grants == EXPECTED_GRANTS.get(function), f"{function} grants {sorted(grants)}"


def test_template_grants_nothing_outside_the_functions_policies() -> None:
    # No IAM resources but the role EventBridge Scheduler assumes, and no Globals that would add policies
    # or a role to every function
    template = load_template()
    assert [name for name, spec in template["Resources"].items() if spec["Type"].startswith("AWS::IAM::")] == [
        "SchedulerRole"
    ]
    global_function = template.get("Globals", {}).get("Function", {})
    assert {"Policies", "Role", "PermissionsBoundary"} & set(global_function) == set()


def test_the_scheduler_role_is_for_scheduler_of_this_account_and_only_invokes_the_firing_function() -> None:
    template = load_template()
    properties = template["Resources"]["SchedulerRole"]["Properties"]
    assert set(properties) == {"AssumeRolePolicyDocument", "Policies"}  # no managed policies, no boundary games
    assert properties["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "scheduler.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]
    statements = [statement for policy in properties["Policies"] for statement in policy["PolicyDocument"]["Statement"]]
    function_arn = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
    firing_name = template["Resources"]["ScheduleFiringFunction"]["Properties"]["FunctionName"]["Fn::Sub"]
    assert statements == [
        {
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": [{"Fn::Sub": function_arn + firing_name}, {"Fn::Sub": function_arn + firing_name + ":*"}],
        }
    ]
    # ...and the functions that arm occurrences hand it to Scheduler, naming that function as the target
    for function in ("SchedulesFunction", "ScheduleFiringFunction", "ScheduleRecipientChangesFunction"):
        variables = template["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert variables["SCHEDULE_ROLE_ARN"] == {"Fn::GetAtt": ["SchedulerRole", "Arn"]}
        assert variables["SCHEDULE_TARGET_ARN"] == {"Fn::Sub": function_arn + firing_name}


def _statement(action: Any = "dynamodb:GetItem", resource: Any = None, **extra: Any) -> dict[str, Any]:
    resource = {"Fn::GetAtt": ["RecipientsTable", "Arn"]} if resource is None else resource
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


@pytest.mark.parametrize(
    "policies",
    [
        pytest.param([{"Statement": [_statement(action="dynamodb:*")]}], id="service-wildcard-action"),
        pytest.param([{"Statement": [_statement(action="*")]}], id="wildcard-action"),
        pytest.param([{"Statement": [_statement(action="dynamodb:Get*")]}], id="prefix-wildcard-action"),
        pytest.param([{"Statement": [_statement(resource="*")]}], id="wildcard-resource"),
        pytest.param(
            [{"Statement": [_statement(resource={"Fn::Sub": "${RecipientsTable.Arn}/*"})]}], id="table-wildcard-path"
        ),
        pytest.param(
            [{"Statement": [_statement(resource={"Fn::Sub": "${RecipientsTable.Arn}/index/*"})]}], id="every-index"
        ),
        pytest.param(
            [{"Statement": [_statement(resource={"Fn::Sub": "${WorkflowDataBucket.Arn}/*"})]}], id="whole-bucket"
        ),
        pytest.param(
            [{"Statement": [_statement(resource="arn:aws:dynamodb:us-east-1:123456789012:table/other")]}],
            id="literal-arn",
        ),
        pytest.param(
            [{"Statement": [_statement(resource={"Fn::GetAtt": ["SomeoneElsesTable", "Arn"]})]}], id="foreign-table"
        ),
        pytest.param([{"Statement": [{**_statement(), "Effect": "Deny"}]}], id="deny"),
        pytest.param([{"Statement": [{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}]}], id="not-action"),
        pytest.param(["AmazonDynamoDBFullAccess"], id="managed-policy"),
        pytest.param([{"DynamoDBCrudPolicy": {"TableName": {"Ref": "RecipientsTable"}}}], id="unlisted-template"),
        pytest.param([{"SQSSendMessagePolicy": {"QueueName": "some-queue"}}], id="template-on-a-literal-queue"),
        pytest.param(
            [{"Statement": [_statement(action="iam:PassRole", resource={"Fn::GetAtt": ["RecipientsTable", "Arn"]})]}],
            id="pass-role-on-a-table",
        ),
        pytest.param(
            [{"Statement": [_statement(action="dynamodb:GetItem", resource={"Fn::GetAtt": ["SchedulerRole", "Arn"]})]}],
            id="role-with-another-action",
        ),
        pytest.param(
            [{"Statement": [_statement(action="iam:PassRole", resource="*")]}],
            id="pass-any-role",
        ),
        pytest.param(
            [
                {
                    "Statement": [
                        _statement(
                            action="scheduler:CreateSchedule",
                            resource={
                                "Fn::Sub": "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/*"
                            },
                        )
                    ]
                }
            ],
            id="every-schedule-group",
        ),
        pytest.param(
            [
                {
                    "Statement": [
                        _statement(
                            action="scheduler:CreateSchedule",
                            resource={
                                "Fn::Sub": "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:"
                                "schedule/${RecipientsTable}/*"
                            },
                        )
                    ]
                }
            ],
            id="schedules-of-something-not-a-group",
        ),
    ],
)
def test_granted_refuses_a_broad_or_foreign_policy(policies: list[Any]) -> None:
    # Given a function whose Policies are too broad or name something outside the stack
    template = json.loads(json.dumps(load_template()))
    template["Resources"]["GetFunction"]["Properties"]["Policies"] = policies

    # Then reading its grants fails
    with pytest.raises(PolicyError):
        granted("GetFunction", template)


# --- 3: the calls the functions make -----------------------------------------------------------------

SAMPLE_ORDER = [
    "authorizer",
    "identify",
    "identify_invalid",
    "get",
    "get_not_found",
    "list",
    "merge",
    "objects_set",
    "objects_get",
    "objects_list",
    "channel_data_set",
    "channel_data_get",
    "channel_data_unset",
    "channel_data_objects_set",
    "channel_data_objects_get",
    "channel_data_objects_unset",
    "preferences_set",
    "preferences_merge",
    "preferences_get",
    "preferences_list",
    "preferences_channel_type",
    "preferences_channel_types",
    "preferences_workflows",
    "preferences_workflow",
    "preferences_categories",
    "preferences_category",
    "preferences_unset",
    "preferences_objects_set",
    "preferences_objects_get",
    "preferences_objects_list",
    "preferences_objects_channel_types",
    "preferences_objects_channel_type",
    "preferences_objects_workflows",
    "preferences_objects_workflow",
    "preferences_objects_categories",
    "preferences_objects_category",
    "preferences_objects_unset",
    "subscriptions_add",
    "subscriptions_list",
    "subscriptions_list_user",
    "subscriptions_delete",
    "tenants_set",
    "tenants_get",
    "tenants_list",
    "tenants_delete",
    "tenants_bulk_set",
    "tenants_bulk_delete",
    "audiences_add",
    "audiences_list",
    "audiences_remove",
    "trigger",
    "fanout",
    "cancel",
    "schedules_create",
    "schedules_list",
    "schedules_list_user",
    "schedules_list_object",
    "schedules_update",
    "schedule_firing",
    "schedule_recipient_changes",
    "schedules_bulk_create",
    "bulk_identify",
    "bulk_preferences",
    "bulk_delete",
    "objects_bulk_set",
    "objects_bulk_delete",
    "objects_bulk_subscriptions_add",
    "objects_bulk_subscriptions_delete",
    "bulk_worker",
    "bulk_dead_letter",
    "subscription_cleanup",
    "bulk_operations",
    "schedule_recipient_changes_deleted",
    "schedules_delete",
    "objects_delete",
    "delete",
    "fallback",
    "docs",
    "docs_swagger_ui",
    "docs_root",
    "console",
    "console_asset",
    "change_events",
]
"""Every sample, in an order that lets each reach its main path (merge and cancel find what to act on)."""


def test_sample_order_lists_every_sample_event() -> None:
    assert sorted(SAMPLE_ORDER) == sorted(path.stem for path in EVENTS_DIR.glob("*.json"))


def _resource_names() -> dict[str, str]:
    """Physical name (as the tests' environment holds it) -> this stack's resource, from the variables
    the template gives the functions: `RECIPIENTS_TABLE_NAME: !Ref RecipientsTable` and the like."""
    template = load_template()
    variables = dict(template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}))
    for spec in FUNCTIONS.values():
        variables.update(spec["Properties"].get("Environment", {}).get("Variables", {}))
    names = {}
    for variable, value in variables.items():
        if isinstance(value, dict) and "Ref" in value and variable in os.environ:
            ref = value["Ref"]
            names[os.environ[variable]] = ref if ref in template["Resources"] else f"parameter:{ref}"
        if isinstance(value, dict) and value.get("Fn::GetAtt", [None, None])[1] == "Arn" and variable in os.environ:
            names[os.environ[variable]] = value["Fn::GetAtt"][0]  # SCHEDULE_ROLE_ARN: !GetAtt SchedulerRole.Arn
    return names


TRANSACTION_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}
"""IAM authorizes TransactWriteItems and TransactGetItems item by item, with these actions."""


def required_permissions(call: AwsCall, names: dict[str, str]) -> list[Grant]:
    """What IAM checks for one call: (action, this stack's resource as `granted` names it).

    A resource outside the stack comes out as `unknown:<name>`, which nothing grants.
    """
    params = call.params
    service = call.action.partition(":")[0]
    if service == "dynamodb" and "TransactItems" in params:
        return [
            (TRANSACTION_ITEM_ACTIONS[kind], _named(request["TableName"], names))
            for item in params["TransactItems"]
            for kind, request in item.items()
        ]
    if service == "dynamodb":
        tables = [params["TableName"]] if "TableName" in params else list(params.get("RequestItems", {}))
        index = f"/index/{params['IndexName']}" if "IndexName" in params else ""
        return [(call.action, _named(table, names) + index) for table in tables]
    if service == "sqs":
        return [(call.action, _named(params["QueueUrl"], names))]
    if service == "events":
        return [(call.action, _named(entry.get("EventBusName", "default"), names)) for entry in params["Entries"]]
    if service == "ssm":
        return [(call.action, _named(name, names)) for name in params.get("Names", [params.get("Name")])]
    if service == "s3":
        return [(call.action, f"{_named(params['Bucket'], names)}/{params['Key']}")]
    if service == "scheduler" and "GroupName" in params:
        # schedule/<group>/<name>; CreateSchedule and UpdateSchedule also pass their target's role
        schedule = [(call.action, f"{_named(params['GroupName'], names)}/{params['Name']}")]
        role = params.get("Target", {}).get("RoleArn")
        return schedule + ([("iam:PassRole", _named(role, names))] if role else [])
    return [(call.action, f"unknown:{service}")]


def _named(physical: str, names: dict[str, str]) -> str:
    return names.get(physical, f"unknown:{physical}")


class FunctionRuns:
    """Runs functions by logical id, as template.yaml wires them, recording each one's AWS calls."""

    def __init__(self, context: FakeLambdaContext, load_event: EventLoader) -> None:
        self.context = context
        self.load_event = load_event
        self.calls: dict[str, list[AwsCall]] = {}

    def handler(self, function: str) -> Callable[[dict[str, Any], Any], Any]:
        handler = function_handler(function)

        def run(event: dict[str, Any], context: Any) -> Any:
            with recording() as calls:
                try:
                    return handler(event, context)
                finally:
                    self.calls.setdefault(function, []).extend(calls)

        return run

    def public_sample(self, name: str, tokens: UserTokens) -> Any:
        """events/<name>.json as a browser sends it: with the public key and a token for the sample's user.
        Powertools' parameter cache is emptied first: each function reads the signing keys in its own process."""
        parameters.clear_caches()
        user_id = self.load_event(name)["pathParameters"]["user_id"]
        event = self.load_event(name, headers=tokens.headers(tokens.sign(user_id)))
        event["requestContext"]["authorizer"] = {"lambda": {"verdict": "public"}}
        return self.handler(function_for_event(name))(event, self.context)

    def sample(self, name: str, **variant: Any) -> Any:
        """events/<name>.json (an HTTP variant of it, with `variant`) run by its function."""
        event = json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
        if "requestContext" in event:  # HTTP and authorizer samples; queue, rule and Scheduler ones as they are
            event = self.load_event(name, **variant)
        return self.handler(function_for_event(name))(event, self.context)


@contextmanager
def throttled_writes_to(table: str) -> Iterator[None]:
    """Fault injection: every PutItem and UpdateItem the layer sends to `table` is refused as throttled."""

    def refuse(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in ("PutItem", "UpdateItem") and params.get("TableName") == table:
            error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "throttled"}}
            raise ClientError(error, model.name)  # type: ignore[arg-type]

    dynamodb().meta.events.register("before-parameter-build.dynamodb", refuse)
    try:
        yield
    finally:
        dynamodb().meta.events.unregister("before-parameter-build.dynamodb", refuse)


def test_functions_make_only_granted_aws_calls_and_use_every_grant(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    recipients_table: str,
    idempotency_table: str,
    bulk_queues: BulkQueues,
    workflow_bus: WorkflowBus,
    workflow_data_bucket: str,
    user_tokens: UserTokens,
    monkeypatch: pytest.MonkeyPatch,
    cleanup_queues: CleanupQueues,
    schedule_group: str,
) -> None:
    # Given the stack's resources, the keys the samples carry, and the users the samples act on
    boto3.client("ssm").put_parameter(
        Name=os.environ["API_KEY_HASHES_PARAMETER"],
        Type="SecureString",
        Value=f"{hash_key('sk_test_local')}\n{hash_key(user_tokens.public_api_key)}",
        Overwrite=True,
    )
    runs = FunctionRuns(lambda_context, load_event)
    monkeypatch.setattr(sweep, "PAGES_PER_MESSAGE", 1)  # the clean-up sample's object continues in a second message
    for user_id in ("guest_42", "user_1", "user_2"):
        runs.sample("identify", path={"user_id": user_id})

    # When every sample runs with its function, with the paths samples alone don't reach
    for name in SAMPLE_ORDER:
        runs.sample(name)
    identify = load_event("identify")
    runs.handler("IdentifyFunction")(identify, lambda_context)
    runs.handler("IdentifyFunction")(identify, lambda_context)  # an Idempotency-Key repeated: a replay
    big_data = {"comment": "x" * 300_000}  # too large for an event: kept in the bucket
    assert runs.sample("trigger", body={"recipients": ["user_1"], "data": big_data})["statusCode"] == 200
    # ...a fan-out in several parts (and invocations), to an object subscriber's own subscribers,
    notes = {"note": "x" * 15_000}
    runs.sample(
        "subscriptions_add", body={"recipients": [{"id": f"fan-{index}"} for index in range(20)], "properties": notes}
    )
    runs.sample("subscriptions_add", body={"recipients": [{"id": "eng", "collection": "teams", "name": "Engineering"}]})
    runs.sample(
        "subscriptions_add", path={"collection": "teams", "object_id": "eng"}, body={"recipients": [{"id": "dev"}]}
    )
    assert (
        runs.sample("trigger", body={"recipients": [{"id": "apollo", "collection": "projects"}]})["statusCode"] == 200
    )
    for _ in range(20):
        if not deliver(workflow_bus.fanout_url, runs.handler("FanoutFunction"), lambda_context):
            break
    operation = json.loads(runs.sample("bulk_identify")["body"])
    for _ in range(20):  # every chunk the bulk samples queued, as the event source mapping feeds them
        if not deliver(bulk_queues.url, runs.handler("BulkWorkerFunction"), lambda_context):
            break
    runs.sample("bulk_operations", path={"operation_id": operation["id"]})
    # ...schedules: one updated (re-armed), an armed occurrence fired as Scheduler fires it, a recipient's
    # timezone changed (its schedules re-timed), an object deleted (its bulk-created schedule with it), and
    # the rest deleted by id,
    preferences = {"default": {"channel_types": {"email": False}}}  # deep-merged into what is stored: read first
    inline = {"id": "ada", "preferences": preferences}
    body = {"workflow": "daily-digest", "recipients": ["user_1", inline], "repeats": [{"frequency": "daily"}]}
    ids = [schedule["id"] for schedule in json.loads(runs.sample("schedules_create", body=body)["body"])]
    weekly = [{"frequency": "weekly", "days": "weekends", "hours": 7}]
    assert runs.sample("schedules_update", body={"schedule_ids": ids[:1], "repeats": weekly})["statusCode"] == 200
    firing = json.loads(next(iter(armed_schedules(schedule_group).values()))["Target"]["Input"])
    assert runs.handler("ScheduleFiringFunction")(firing, lambda_context)["workflow_run_id"] is not None
    runs.sample("identify", path={"user_id": "ada"}, body={"timezone": "Asia/Tokyo"})
    assert runs.sample("schedule_recipient_changes")["schedules"] >= 1
    assert runs.sample("schedule_recipient_changes_deleted")["schedules"] == 1
    assert runs.sample("schedules_delete", body={"schedule_ids": ids})["statusCode"] == 200
    # ...an object deleted once its bulk subscriptions are written, and the clean-ups the deletes queued,
    runs.sample("objects_delete")
    for _ in range(20):
        if not deliver(cleanup_queues.url, runs.handler("SubscriptionCleanupFunction"), lambda_context):
            break
    # ...a chunk whose rows can never be written, which the worker counts and lists as errors,
    unwritable = {"operation_id": operation["id"], "chunk_index": 99, "action": "set_object", "collection": None}
    unwritable["rows"] = [{"indices": [0], "id": "p1", "attributes": {}}]
    boto3.client("sqs").send_message(QueueUrl=bulk_queues.url, MessageBody=json.dumps(unwritable))
    assert deliver(bulk_queues.url, runs.handler("BulkWorkerFunction"), lambda_context) == 1
    # ...requests from a browser, whose user tokens are checked with the signing keys in SSM,
    for name in ("identify", "get", "preferences_get", "channel_data_set"):
        assert runs.public_sample(name, user_tokens)["statusCode"] < 300
    # ...and the failure paths: a write throttled after the Idempotency-Key was taken releases it,
    with throttled_writes_to(recipients_table):
        for name in ("identify", "trigger", "bulk_identify", "bulk_preferences"):
            assert runs.sample(name)["statusCode"] == 503
    # ...and chunks SQS refuses are counted as failed at once
    boto3.client("sqs").delete_queue(QueueUrl=bulk_queues.url)
    for name in (
        "bulk_identify",
        "bulk_delete",
        "objects_bulk_set",
        "bulk_preferences",
        "tenants_bulk_set",
        "schedules_bulk_create",
    ):
        assert json.loads(runs.sample(name)["body"])["status"] == "failed"

    # Then each function's calls were granted by its policy
    names = _resource_names()
    used = {
        function: [permission for call in calls for permission in required_permissions(call, names)]
        for function, calls in runs.calls.items()
    }
    ungranted = {
        (function, *permission)
        for function, permissions in used.items()
        for permission in permissions
        if not allows(granted(function), *permission)
    }
    assert ungranted == set()
    # ...and each grant was used, or is listed as out of the test's reach
    unused = {
        (function, *grant)
        for function in FUNCTIONS
        for grant in granted(function) - UNREACHED_GRANTS.get(function, set())
        if not any(allows({grant}, *permission) for permission in used.get(function, []))
    }
    assert unused == set()
    # ...and every function ran, each one with a policy making calls (the recording saw them)
    assert set(runs.calls) == set(FUNCTIONS)
    assert {function for function, calls in runs.calls.items() if not calls} == {
        function for function in FUNCTIONS if not EXPECTED_GRANTS[function]
    }
