"""Properties moto's CloudFormation drops or does not create, checked on the template itself, and the
names the template shares with the gateway components (topics, aliases) checked against their sources."""
import re

import pytest

from conftest import REPO, load_template

T = load_template()
R = T["Resources"]


def of_type(t):
    return {k: v for k, v in R.items() if v["Type"] == t}


def props(name):
    return R[name].get("Properties", {})


def test_environment_switch():
    p = T["Parameters"]["EnvironmentType"]
    assert p["AllowedValues"] == ["Development", "Production"]
    env = T["Mappings"]["Env"]
    assert set(env) == {"Development", "Production"}
    # Every size/retention differs between the two, or the switch is pointless for it.
    same = [k for k in env["Production"] if env["Production"][k] == env["Development"][k]]
    assert not same, f"identical in both environments: {same}"


def test_kinesis_encrypted_with_the_data_key():
    (s,) = of_type("AWS::Kinesis::Stream").values()
    assert s["Properties"]["StreamEncryption"] == {"EncryptionType": "KMS", "KeyId": {"Ref": "DataKey"}}


@pytest.mark.parametrize("name", sorted(of_type("AWS::S3::Bucket")))
def test_bucket_hardening(name):
    p = props(name)
    assert p["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(p["PublicAccessBlockConfiguration"][k] is True for k in
               ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"))
    rules = p["LifecycleConfiguration"]["Rules"]
    assert rules and all(r["Status"] == "Enabled" and "ExpirationInDays" in r for r in rules)
    sse = p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    if name != "ConfigBucket":  # AWS Config's delivery bucket uses SSE-S3 (no key policy for Config needed)
        assert sse == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Ref": "DataKey"}}


def test_data_lake_buckets_deny_plain_http():
    for bucket in ("RawBucket", "ProcessedBucket"):
        pols = [v for v in of_type("AWS::S3::BucketPolicy").values() if v["Properties"]["Bucket"] == {"Ref": bucket}]
        assert len(pols) == 1, bucket
        (st,) = pols[0]["Properties"]["PolicyDocument"]["Statement"]
        assert st["Effect"] == "Deny" and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("name", sorted(of_type("AWS::DynamoDB::Table")))
def test_dynamodb_pitr_and_kms(name):
    p = props(name)
    assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert p["SSESpecification"]["SSEType"] == "KMS" and p["SSESpecification"]["KMSMasterKeyId"] == {"Ref": "DataKey"}


def test_dedup_table_expires_what_the_lambda_writes():
    """The enrichment Lambda's dedup items (cloud/enrichment-lambda/src/dedup.rs) carry recordId and expiresAt."""
    p = props("EnrichmentDedupTable")
    assert p["KeySchema"] == [{"AttributeName": "recordId", "KeyType": "HASH"}]
    assert p["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    source = (REPO / "cloud" / "enrichment-lambda" / "src" / "dedup.rs").read_text()
    assert '"recordId"' in source and '"expiresAt"' in source
    env = props("EnrichmentFunction")["Environment"]["Variables"]
    assert env["DEDUP_TABLE"] == {"Ref": "EnrichmentDedupTable"}
    statements = props("EnrichmentRole")["Policies"][0]["PolicyDocument"]["Statement"]
    (st,) = [s for s in statements if s.get("Resource") == {"Fn::GetAtt": ["EnrichmentDedupTable", "Arn"]}]
    assert sorted(st["Action"]) == ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:PutItem"]


def test_readings_columns_are_the_lambdas_row_fields():
    """The Glue table `readings` reads the JSON lines the Lambda writes (cloud/enrichment-lambda/src/row.rs)."""
    source = (REPO / "cloud" / "enrichment-lambda" / "src" / "row.rs").read_text()
    struct = source[source.index("pub struct ReadingRow"):]
    fields = re.findall(r"^    pub (\w+):", struct[:struct.index("\n}")], re.M)
    columns = [c["Name"] for c in props("ReadingsTable")["TableInput"]["StorageDescriptor"]["Columns"]]
    assert fields == columns
    location = props("ReadingsTable")["TableInput"]["Parameters"]["storage.location.template"]
    assert "/readings/dt=${!dt}/" in str(location)


def test_lambda_shape():
    p = props("EnrichmentFunction")
    assert (p["Runtime"], p["Handler"], p["Architectures"]) == ("provided.al2023", "bootstrap", [{"Ref": "LambdaArchitecture"}])
    assert T["Parameters"]["LambdaArchitecture"]["Default"] == "arm64"
    assert T["Parameters"]["LambdaArchitecture"]["AllowedValues"] == ["arm64", "x86_64"]
    assert p["Code"] == {"S3Bucket": {"Ref": "LambdaCodeBucket"}, "S3Key": {"Ref": "LambdaCodeKey"}}
    assert p["TracingConfig"] == {"Mode": "Active"}
    assert p["VpcConfig"]["SubnetIds"]
    esm = props("EnrichmentEventSource")
    assert esm["FunctionResponseTypes"] == ["ReportBatchItemFailures"] and esm["BisectBatchOnFunctionError"] is True


def test_every_topic_rule_has_an_error_action():
    rules = of_type("AWS::IoT::TopicRule")
    assert set(rules) == {"TelemetryRule", "AlarmRule", "MachineStateRule"}
    for name, r in rules.items():
        payload = r["Properties"]["TopicRulePayload"]
        assert payload["ErrorAction"], name
        assert payload["Actions"], name


def test_rule_targets():
    actions = lambda n: [next(iter(a)) for a in props(n)["TopicRulePayload"]["Actions"]]
    assert actions("TelemetryRule") == ["Kinesis"]
    assert sorted(actions("AlarmRule")) == ["Lambda", "Sns"]
    assert actions("MachineStateRule") == ["IotSiteWise"]


def mqtt_match(filt, topic):
    f, t = filt.split("/"), topic.split("/")
    if "#" not in f and len(f) != len(t):
        return False
    for i, part in enumerate(f):
        if part == "#":
            return True
        if i >= len(t) or (part != "+" and part != t[i]):
            return False
    return True


def rule_filter(name):
    sql = props(name)["TopicRulePayload"]["Sql"]
    return re.search(r"FROM '([^']+)'", sql).group(1)


def rule_accepts(name, topic):
    """The rule's FROM filter, and its WHERE if it is of the one form used here: topic(n) = 'x' OR ..."""
    sql = " ".join(props(name)["TopicRulePayload"]["Sql"].split())
    if not mqtt_match(rule_filter(name), topic):
        return False
    where = re.search(r"WHERE (.*)$", sql)
    if not where:
        return True
    terms = [re.fullmatch(r"topic\((\d)\) = '([^']*)'", t.strip()) for t in where.group(1).split(" OR ")]
    assert all(terms), f"unsupported WHERE in {name}: {where.group(1)}"
    return any(topic.split("/")[int(m.group(1)) - 1] == m.group(2) for m in terms)


def test_rule_topics_match_what_the_gateway_publishes():
    """StreamUploader publishes to its topicTemplate with {topic} = the edge-model local topic."""
    recipe = (REPO / "recipes" / "com.smartfactory.StreamUploader.yaml").read_text()
    template = re.search(r'topicTemplate: "([^"]+)"', recipe).group(1)
    edge = (REPO / "shared" / "edge-model" / "README.md").read_text()
    local = dict(re.findall(r"`Topic::(\w+)\((?:device|component)\)` \| `([^`]+)`", edge))
    to_cloud = lambda t: template.replace("{thingName}", "gw-1").replace("{topic}", t.replace("{device}", "pump-1"))
    for kind in ("readings_raw", "readings_filtered", "aggregates", "anomaly", "alarm"):
        assert rule_accepts("TelemetryRule", to_cloud(local[kind])), kind
    assert rule_accepts("AlarmRule", to_cloud(local["alarm"]))
    assert not rule_accepts("AlarmRule", to_cloud(local["aggregates"]))
    # Status and dead letters are not telemetry.
    for kind in ("status", "dead_letter"):
        assert not rule_accepts("TelemetryRule", to_cloud(local[kind].replace("{component}", "x"))), kind
    # The core-device policy lets a gateway publish exactly under dt/<its thing name>/.
    pol = props("CoreDevicePolicy")["PolicyDocument"]["Statement"]
    pub = next(s for s in pol if s["Action"] == "iot:Publish")["Resource"]
    assert any("topic/dt/${!iot:Connection.Thing.ThingName}/*" in r["Fn::Sub"] for r in pub)
    assert template.startswith("dt/{thingName}/")


def test_sitewise_aliases_follow_the_uploader_default():
    cfg = (REPO / "components" / "stream-uploader" / "src" / "config.rs").read_text()
    default = re.search(r'property_alias_template: "([^"]+)"\.into\(\)', cfg).group(1)
    assert props("SsmSiteWiseAliasTemplate")["Value"] == default
    aliases = [a["Alias"]["Fn::Sub"] for a in props("DemoPumpAsset")["AssetProperties"]]
    for a in aliases:
        point = a.rsplit("/", 1)[1]
        assert a == default.replace("{device}", "${DemoPumpDeviceId}").replace("{point}", point)
    entry = props("MachineStateRule")["TopicRulePayload"]["Actions"][0]["IotSiteWise"]["PutAssetPropertyValueEntries"][0]
    assert entry["PropertyAlias"] == "/factory/${device}/${r.source.point}"


def test_sitewise_models_compute_oee_and_downtime():
    def names(model):
        return {p["Name"]: p["Type"]["TypeName"] for p in props(model)["AssetModelProperties"]}

    pump = names("PumpAssetModel")
    for m in ("availability", "performance", "quality", "oee", "downtime_s"):
        assert pump[m] == "Metric", m
    assert pump["state"] == "Measurement"
    # MachineStateRule writes IntegerValue: every measurement it can address must be INTEGER.
    value = props("MachineStateRule")["TopicRulePayload"]["Actions"][0]["IotSiteWise"]["PutAssetPropertyValueEntries"][0]
    assert list(value["PropertyValues"][0]["Value"]) == ["IntegerValue"]
    measurements = [p for p in props("PumpAssetModel")["AssetModelProperties"] if p["Type"]["TypeName"] == "Measurement"]
    assert measurements and all(p["DataType"] == "INTEGER" for p in measurements)
    for model, child in (("LineAssetModel", "PumpAssetModel"), ("FactoryAssetModel", "LineAssetModel")):
        assert props(model)["AssetModelHierarchies"][0]["ChildAssetModelId"] == {"Ref": child}
        assert names(model) == {"oee": "Metric", "downtime_s": "Metric"}


# Actions that AWS does not scope to a resource, and the only places "Resource": "*" is accepted.
UNSCOPED_OK = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "ec2:CreateNetworkInterface",
               "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses",
               "ec2:UnassignPrivateIpAddresses", "cloudwatch:PutMetricData", "greengrass:GetComponentVersionArtifact",
               "greengrass:ResolveComponentCandidates", "greengrass:GetDeploymentConfiguration",
               "greengrass:ListThingGroupsForCoreDevice"}


def iam_statements():
    for name, r in R.items():
        p = r.get("Properties", {})
        docs = []
        if r["Type"] == "AWS::IAM::Role":
            docs = [pol["PolicyDocument"] for pol in p.get("Policies", [])]
        elif r["Type"] in ("AWS::IAM::Policy", "AWS::IoT::Policy"):
            docs = [p["PolicyDocument"]]
        for d in docs:
            for st in d["Statement"]:
                yield name, st


def test_least_privilege():
    seen = 0
    for name, st in iam_statements():
        seen += 1
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        assert all("*" not in a for a in acts), (name, acts)
        res = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        if "*" in res:
            assert set(acts) <= UNSCOPED_OK, (name, acts)
            if "cloudwatch:PutMetricData" in acts:
                assert st["Condition"] == {"StringEquals": {"cloudwatch:namespace": "SmartFactory/Gateway"}}
    assert seen >= 20


def test_no_timestream_liveanalytics_or_iot_analytics():
    types = {r["Type"] for r in R.values()}
    assert not {t for t in types if t.startswith("AWS::IoTAnalytics::")}
    assert not types & {"AWS::Timestream::Database", "AWS::Timestream::Table", "AWS::Timestream::ScheduledQuery"}
    assert "AWS::Timestream::InfluxDBInstance" in types
    assert {"AWS::Glue::Database", "AWS::Glue::Table", "AWS::Athena::WorkGroup"} <= types


def test_outputs_for_the_gateway():
    assert {"TokenExchangeRoleAliasName", "TelemetryStreamName", "RawBucketName", "ProcessedBucketName",
            "CoreDevicePolicyName", "FactoryThingGroupName", "IotDataEndpointNote"} <= set(T["Outputs"])
