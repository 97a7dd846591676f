"""Rules template.yaml keeps across its resources: partitions, retries, transport security, logs, builds."""

from __future__ import annotations

import re

from local.template import TEMPLATE_PATH, load_template, resources_of_type

LITERAL_PARTITION = re.compile(r"arn:aws(-[a-z]+)*:")
"""`arn:aws:`, `arn:aws-cn:`, `arn:aws-us-gov:`...: an ARN written for one partition only."""


def test_template_writes_no_partition_into_an_arn() -> None:
    # Every ARN the template builds says ${AWS::Partition}, so the stack deploys to China and GovCloud too
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    literal = [line.strip() for line in text.splitlines() if LITERAL_PARTITION.search(line)]
    assert literal == []


def test_literal_partition_pattern_finds_each_partition_but_not_the_pseudo_parameter() -> None:
    for arn in ("arn:aws:ssm:", "arn:aws-cn:s3:::b", "arn:aws-us-gov:lambda:"):
        assert LITERAL_PARTITION.search(arn), arn
    assert not LITERAL_PARTITION.search("arn:${AWS::Partition}:ssm:${AWS::Region}")


def test_bulk_chunks_get_at_least_three_deliveries_before_the_dead_letter_queue() -> None:
    # One crash or one throttled batch must not dead-letter a chunk's rows
    parameter = load_template()["Parameters"]["BulkMaxReceiveCount"]
    assert parameter["MinValue"] >= 3
    assert parameter["MinValue"] <= parameter["Default"] <= parameter["MaxValue"]


def test_workflow_data_bucket_refuses_every_request_without_tls() -> None:
    # Given the bucket policies of the template
    policies = [
        spec["Properties"]
        for spec in resources_of_type("AWS::S3::BucketPolicy").values()
        if spec["Properties"]["Bucket"] == {"Ref": "WorkflowDataBucket"}
    ]

    # Then one denies any action by anyone on the bucket and its objects when the request is not over TLS
    assert len(policies) == 1
    (statement,) = [
        statement
        for statement in policies[0]["PolicyDocument"]["Statement"]
        if statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Action"] == "s3:*"
    assert statement["Resource"] == [
        {"Fn::GetAtt": ["WorkflowDataBucket", "Arn"]},
        {"Fn::Sub": "${WorkflowDataBucket.Arn}/*"},
    ]


def test_every_bucket_has_a_tls_only_policy() -> None:
    guarded = {
        spec["Properties"]["Bucket"]["Ref"]
        for spec in resources_of_type("AWS::S3::BucketPolicy").values()
        if any(
            statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            for statement in spec["Properties"]["PolicyDocument"]["Statement"]
        )
    }
    assert guarded == set(resources_of_type("AWS::S3::Bucket"))


CLOUDWATCH_RETENTION_DAYS = {
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
}  # fmt: skip
"""The values CloudWatch Logs accepts for RetentionInDays (besides none, which keeps logs forever)."""


def test_every_function_logs_to_its_own_log_group_with_the_retention_parameter() -> None:
    # Logs hold recipient ids: none may go to a log group Lambda would create without a retention
    template = load_template()
    log_groups = resources_of_type("AWS::Logs::LogGroup")
    used = []
    for name, function in resources_of_type("AWS::Serverless::Function").items():
        reference = function["Properties"]["LoggingConfig"]["LogGroup"]
        assert list(reference) == ["Ref"], name
        used.append(reference["Ref"])
        group = log_groups[reference["Ref"]]
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        # deleted with the stack, and on replacement: see the README's "Tearing down"
        assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == ("Delete", "Delete"), name
    assert sorted(used) == sorted(log_groups)  # one each, none unused
    assert "LogGroup" not in template["Globals"]["Function"]["LoggingConfig"]


def test_log_retention_parameter_offers_only_what_cloudwatch_accepts() -> None:
    parameter = load_template()["Parameters"]["LogRetentionDays"]
    assert set(parameter["AllowedValues"]) <= CLOUDWATCH_RETENTION_DAYS
    assert parameter["Default"] == 30


def test_every_function_is_built_by_the_functions_makefile_which_ships_its_bytecode() -> None:
    # Without it, `sam build` ships the source only and each cold start compiles the handler module
    # (tests/layer checks what the Makefile makes)
    for name, function in resources_of_type("AWS::Serverless::Function").items():
        metadata = function.get("Metadata", {})
        assert (metadata.get("BuildMethod"), metadata.get("ContextPath")) == ("makefile", "functions"), name
        assert function["Properties"]["CodeUri"].startswith("functions/"), name
