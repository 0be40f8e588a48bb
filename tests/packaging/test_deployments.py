"""Fleet deployment documents (deploy/fleet/) validate against the Greengrass v2 CreateDeployment
API model from botocore, name only components that exist (ours at the version of their recipe),
carry merges that are JSON objects, and use the rollout policies we document."""

from __future__ import annotations

import json
from pathlib import Path

import botocore.session
import pytest
import yaml
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted((REPO / "deploy" / "fleet").rglob("*.json"))


def create_deployment_shape():
    model = botocore.session.get_session().get_service_model("greengrassv2")
    return model.operation_model("CreateDeployment").input_shape


def filled(path: Path) -> dict:
    text = path.read_text().replace("${AWS_REGION}", "eu-central-1").replace("${AWS_ACCOUNT_ID}", "123456789012")
    return json.loads(text)


def recipe_versions() -> dict[str, str]:
    out = {}
    for p in (REPO / "recipes").glob("*.yaml"):
        doc = yaml.safe_load(p.read_text())
        out[doc["ComponentName"]] = str(doc["ComponentVersion"])
    return out


def test_there_are_group_and_device_documents():
    kinds = {p.parent.name for p in DOCUMENTS}
    assert {"thing-groups", "devices"} <= kinds, DOCUMENTS


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_document_matches_the_create_deployment_api_model(path: Path):
    validate_parameters(filled(path), create_deployment_shape())


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_components_exist_and_merges_are_objects(path: Path):
    doc = filled(path)
    versions = recipe_versions()
    for name, spec in doc["components"].items():
        if name.startswith("aws.greengrass."):
            continue
        assert name in versions, f"{path.name}: unknown component {name}"
        assert spec["componentVersion"] == versions[name], f"{path.name}: {name} version"
        merge = spec.get("configurationUpdate", {}).get("merge")
        if merge is not None:
            assert isinstance(merge, str), "the API takes merge as a JSON string"
            assert isinstance(json.loads(merge), dict)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_rollout_policies(path: Path):
    doc = filled(path)
    policies = doc["deploymentPolicies"]
    assert policies["failureHandlingPolicy"] == "ROLLBACK"
    assert policies["componentUpdatePolicy"]["action"] == "NOTIFY_COMPONENTS"
    job = doc["iotJobConfiguration"]
    assert job["abortConfig"]["criteriaList"], "a staged rollout aborts on failures"
    assert "exponentialRate" in job["jobExecutionsRolloutConfig"]


def test_the_model_check_can_fail():
    doc = filled(DOCUMENTS[0])
    del doc["targetArn"]
    doc["components"]["com.smartfactory.ModbusAdapter"]["componentVersion"] = 1
    with pytest.raises(ParamValidationError) as err:
        validate_parameters(doc, create_deployment_shape())
    assert "targetArn" in str(err.value)
    assert "componentVersion" in str(err.value)
