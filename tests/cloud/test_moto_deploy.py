"""Deploy deploy/cloudformation/main-stack.yaml on moto's CloudFormation (in process, mock_aws) and read back
what moto really created. Properties moto ignores (Kinesis encryption, DynamoDB PITR/SSE, S3 lifecycle and public
access block, Lambda architecture) are checked on the template in test_template.py instead."""
import ast
import io
import json
import re
import warnings
import zipfile

import boto3
import pytest
from moto import mock_aws

from conftest import MAIN_STACK

# Types in the template that moto 5.2.5's CloudFormation does not create (it warns and skips them; the stack still
# reaches CREATE_COMPLETE). Keep in step with the table in deploy/cloudformation/README.md.
MOTO_SKIPS = {
    "AWS::Athena::WorkGroup", "AWS::CloudWatch::Alarm", "AWS::Config::ConfigRule",
    "AWS::Config::ConfigurationRecorder", "AWS::Config::DeliveryChannel", "AWS::Glue::Database",
    "AWS::Glue::Table", "AWS::GuardDuty::Detector", "AWS::IoT::ThingGroup", "AWS::IoT::TopicRule",
    "AWS::IoTSiteWise::Asset", "AWS::IoTSiteWise::AssetModel", "AWS::S3::BucketPolicy",
    "AWS::SecretsManager::Secret", "AWS::Timestream::InfluxDBInstance", "AWS::CloudFormation::WaitConditionHandle",
}


def policy_doc(text):
    """moto 5.2.5 stores policy documents that came through CloudFormation as Python reprs, not JSON."""
    if isinstance(text, dict):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return ast.literal_eval(text)


def deploy(env, extra=None):
    """Create the stack inside an active mock_aws; return (stack description, resources by logical id, skipped)."""
    stack_name = f"{(extra or {}).get('ProjectPrefix', 'smart-factory')}-{env.lower()}"
    s3 = boto3.client("s3", region_name="us-east-1")
    if "lambda-code" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket="lambda-code")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n")
    s3.put_object(Bucket="lambda-code", Key="enrichment/bootstrap.zip", Body=buf.getvalue())
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfn.create_stack(
            StackName=stack_name, TemplateBody=MAIN_STACK.read_text(),
            Capabilities=["CAPABILITY_IAM"],
            Parameters=[{"ParameterKey": "EnvironmentType", "ParameterValue": env},
                        {"ParameterKey": "LambdaCodeBucket", "ParameterValue": "lambda-code"},
                        {"ParameterKey": "LambdaCodeKey", "ParameterValue": "enrichment/bootstrap.zip"}]
            + [{"ParameterKey": k, "ParameterValue": v} for k, v in (extra or {}).items()])
    skipped = {m.group(1) for w in caught
               if (m := re.search(r"Tried to parse (\S+) but it's not supported", str(w.message)))}
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    res = {r["LogicalResourceId"]: r for r in
           cfn.list_stack_resources(StackName=stack["StackName"])["StackResourceSummaries"] if r["LogicalResourceId"]}
    return stack, res, skipped


@pytest.fixture(scope="module")
def prod():
    with mock_aws():
        stack, res, skipped = deploy("Production")
        yield {"stack": stack, "res": res, "skipped": skipped,
               "out": {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}}


def phys(prod, logical):
    return prod["res"][logical]["PhysicalResourceId"]


def test_stack_completes(prod):
    assert prod["stack"]["StackStatus"] == "CREATE_COMPLETE"
    assert all(r["ResourceStatus"] == "CREATE_COMPLETE" for r in prod["res"].values())


def test_moto_skips_exactly_the_documented_types(prod):
    assert prod["skipped"] == MOTO_SKIPS
    created = {r["ResourceType"] for r in prod["res"].values()}
    assert not created & MOTO_SKIPS


def test_kinesis_stream(prod):
    k = boto3.client("kinesis", region_name="us-east-1")
    s = k.describe_stream_summary(StreamName=prod["out"]["TelemetryStreamName"])["StreamDescriptionSummary"]
    assert s["StreamStatus"] == "ACTIVE"
    assert s["RetentionPeriodHours"] == 168
    assert prod["out"]["TelemetryStreamArn"] == s["StreamARN"]


@pytest.mark.parametrize("logical", ["RawBucket", "ProcessedBucket", "AthenaResultsBucket"])
def test_buckets_kms(prod, logical):
    """moto applies the KMS default encryption; it drops versioning, lifecycle and public access block
    (checked in test_template.py)."""
    s3 = boto3.client("s3", region_name="us-east-1")
    name = phys(prod, logical)
    rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    key_id = phys(prod, "DataKey")
    assert key_id in rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]


def test_bucket_outputs(prod):
    assert prod["out"]["RawBucketName"] == phys(prod, "RawBucket")
    assert prod["out"]["ProcessedBucketName"] == phys(prod, "ProcessedBucket")


def test_device_metadata_table(prod):
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    t = ddb.describe_table(TableName=prod["out"]["DeviceMetadataTableName"])["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in t["KeySchema"]} == {"deviceId": "HASH", "pointId": "RANGE"}
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_enrichment_dedup_table(prod):
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    t = ddb.describe_table(TableName=prod["out"]["EnrichmentDedupTableName"])["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in t["KeySchema"]} == {"recordId": "HASH"}
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_sns_topics_encrypted(prod):
    sns = boto3.client("sns", region_name="us-east-1")
    key_id = phys(prod, "DataKey")
    for logical in ("MaintenanceAlertTopic", "OpsAlarmTopic"):
        attrs = sns.get_topic_attributes(TopicArn=phys(prod, logical))["Attributes"]
        assert key_id in attrs["KmsMasterKeyId"], logical
    assert prod["out"]["MaintenanceAlertTopicArn"] == phys(prod, "MaintenanceAlertTopic")


def test_kms_key_rotates(prod):
    kms = boto3.client("kms", region_name="us-east-1")
    key_id = phys(prod, "DataKey")
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    aliases = {a["AliasName"] for a in kms.list_aliases(KeyId=key_id)["Aliases"]}
    assert "alias/smart-factory-Production-data" in aliases


def test_role_alias_and_core_policy(prod):
    iot = boto3.client("iot", region_name="us-east-1")
    alias = iot.describe_role_alias(roleAlias="smart-factory-Production-TokenExchangeRoleAlias")["roleAliasDescription"]
    assert alias["roleArn"] == prod["out"]["TokenExchangeRoleArn"]
    assert alias["credentialDurationSeconds"] == 3600
    assert prod["out"]["TokenExchangeRoleAliasName"] == alias["roleAlias"]
    assert iot.get_policy(policyName=prod["out"]["CoreDevicePolicyName"])["policyName"] == prod["out"]["CoreDevicePolicyName"]
    doc = policy_doc(iot.get_policy(policyName="smart-factory-Production-GreengrassCorePolicy")["policyDocument"])
    assume = next(s for s in doc["Statement"] if s["Action"] == "iot:AssumeRoleWithCertificate")
    assert assume["Resource"] == alias["roleAliasArn"]
    pub = next(s for s in doc["Statement"] if s["Action"] == "iot:Publish")["Resource"]
    assert "arn:aws:iot:us-east-1:123456789012:topic/dt/${iot:Connection.Thing.ThingName}/*" in pub


def test_token_exchange_role_scoped(prod):
    iam = boto3.client("iam", region_name="us-east-1")
    role = prod["out"]["TokenExchangeRoleArn"].rsplit("/", 1)[1]
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "credentials.iot.amazonaws.com"}
    doc = policy_doc(iam.get_role_policy(RoleName=role, PolicyName="gateway-uploads")["PolicyDocument"])
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert by_sid["KinesisPut"]["Resource"] == prod["out"]["TelemetryStreamArn"]
    assert by_sid["S3PutRawFiles"]["Resource"] == f"arn:aws:s3:::{prod['out']['RawBucketName']}/gateway/*"


def test_lambda_and_event_source(prod):
    lam = boto3.client("lambda", region_name="us-east-1")
    fn = lam.get_function_configuration(FunctionName=phys(prod, "EnrichmentFunction"))
    assert (fn["Runtime"], fn["Handler"]) == ("provided.al2023", "bootstrap")
    assert fn["MemorySize"] == 512  # TracingConfig and Architectures are dropped by moto: see test_template.py
    assert sorted(fn["VpcConfig"]["SubnetIds"]) == sorted([phys(prod, "PrivateSubnetA"), phys(prod, "PrivateSubnetB")])
    env = fn["Environment"]["Variables"]
    assert env["DEVICE_TABLE"] == prod["out"]["DeviceMetadataTableName"]
    assert env["PROCESSED_BUCKET"] == prod["out"]["ProcessedBucketName"]
    assert env["DEDUP_TABLE"] == prod["out"]["EnrichmentDedupTableName"]
    (m,) = lam.list_event_source_mappings(FunctionName=fn["FunctionName"])["EventSourceMappings"]
    assert m["EventSourceArn"] == prod["out"]["TelemetryStreamArn"]
    assert m["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert m["BisectBatchOnFunctionError"] is True
    assert m["DestinationConfig"]["OnFailure"]["Destination"].endswith(":smart-factory-Production-enrichment-dlq")


def test_vpc_endpoints(prod):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    eps = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [phys(prod, "Vpc")]}])["VpcEndpoints"]
    kinds = {e["ServiceName"].rsplit(".", 1)[-1] if "iotsitewise" not in e["ServiceName"] else "iotsitewise.data":
             e["VpcEndpointType"] for e in eps}
    assert kinds == {"s3": "Gateway", "dynamodb": "Gateway", "kinesis-streams": "Interface",
                     "iotsitewise.data": "Interface", "sns": "Interface", "kms": "Interface",
                     "secretsmanager": "Interface", "sqs": "Interface", "xray": "Interface"}


def test_ssm_parameters_point_at_the_resources(prod):
    ssm = boto3.client("ssm", region_name="us-east-1")
    get = lambda n: ssm.get_parameter(Name=f"/smart-factory/Production/{n}")["Parameter"]["Value"]
    assert get("kinesis-stream-name") == prod["out"]["TelemetryStreamName"]
    assert get("raw-bucket") == prod["out"]["RawBucketName"]
    assert get("token-exchange-role-alias") == "smart-factory-Production-TokenExchangeRoleAlias"
    assert get("environment") == "Production"


def test_dashboard_names_the_stream(prod):
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    body = json.loads(cw.get_dashboard(DashboardName="smart-factory-Production")["DashboardBody"])
    metrics = json.dumps([w["properties"]["metrics"] for w in body["widgets"]])
    assert prod["out"]["TelemetryStreamName"] in metrics
    assert phys(prod, "EnrichmentFunction") in metrics


def test_development_is_smaller():
    with mock_aws():
        stack, res, _ = deploy("Development")
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        k = boto3.client("kinesis", region_name="us-east-1")
        s = k.describe_stream_summary(StreamName="smart-factory-Development-telemetry")["StreamDescriptionSummary"]
        assert s["RetentionPeriodHours"] == 24
        assert s["OpenShardCount"] == 1
        lam = boto3.client("lambda", region_name="us-east-1")
        assert lam.get_function_configuration(FunctionName="smart-factory-Development-enrichment")["MemorySize"] == 256
        logs = boto3.client("logs", region_name="us-east-1")
        (g,) = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/smart-factory-Development-enrichment")["logGroups"]
        assert g["retentionInDays"] == 7


def readme_types(after, before):
    text = (MAIN_STACK.parent / "README.md").read_text()
    part = text[text.index(after):text.index(before, text.index(after))]
    return {"AWS::" + t for t in re.findall(r"`([A-Za-z0-9]+::[A-Za-z0-9]+)`", part)}


def test_readme_lists_what_moto_creates_and_skips(prod):
    created = {r["ResourceType"] for r in prod["res"].values()}
    assert readme_types("moto 5.2.5 creates:", "Of what it creates") == created
    assert readme_types("moto does not create", "when `QuickSightPrincipalArn` is set") == MOTO_SKIPS


def test_readme_deploy_command_fits_the_template_size():
    """Over 51,200 bytes CloudFormation refuses an inline template: `aws cloudformation deploy` needs --s3-bucket."""
    readme = (MAIN_STACK.parent / "README.md").read_text()
    assert "--template-file deploy/cloudformation/main-stack.yaml" in readme
    assert "--capabilities CAPABILITY_IAM" in readme
    if MAIN_STACK.stat().st_size > 51200:
        assert "--s3-bucket" in readme


def test_optional_parts_switched_the_other_way():
    """QuickSight on; GuardDuty, Config, InfluxDB off; artifact bucket and alert e-mail set: the stack still
    deploys, the conditional IAM policy lands on the token exchange role and the InfluxDB one does not."""
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="gg-artifacts")
        # Its own prefix: mock_aws contexts nest, so the module's Production stack may still exist here.
        stack, res, skipped = deploy("Development", {"ProjectPrefix": "sf-optional",
            "QuickSightPrincipalArn": "arn:aws:quicksight:us-east-1:123456789012:user/default/admin",
            "CreateGuardDutyDetector": "false", "ConfigRecorderMode": "none", "CreateTimeSeriesStore": "false",
            "ComponentArtifactBucket": "gg-artifacts", "AlertEmail": "ops@example.com"})
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        assert skipped - MOTO_SKIPS == {"AWS::QuickSight::DataSource", "AWS::QuickSight::DataSet"}
        assert not any(t.startswith("AWS::Config::") or t == "AWS::GuardDuty::Detector" for t in skipped)
        assert "EnrichmentInfluxPolicy" not in res and "InfluxSecurityGroup" not in res
        iam = boto3.client("iam", region_name="us-east-1")
        role = res["TokenExchangeRole"]["PhysicalResourceId"]
        assert sorted(iam.list_role_policies(RoleName=role)["PolicyNames"]) == ["component-artifacts", "gateway-uploads"]
        doc = policy_doc(iam.get_role_policy(RoleName=role, PolicyName="component-artifacts")["PolicyDocument"])
        assert doc["Statement"][0]["Resource"] == "arn:aws:s3:::gg-artifacts/*"
        sns = boto3.client("sns", region_name="us-east-1")
        subs = sns.list_subscriptions_by_topic(TopicArn=res["MaintenanceAlertTopic"]["PhysicalResourceId"])
        assert [(s["Protocol"], s["Endpoint"]) for s in subs["Subscriptions"]] == [("email", "ops@example.com")]
