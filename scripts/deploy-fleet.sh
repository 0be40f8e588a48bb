#!/usr/bin/env bash
# Creates a Greengrass deployment from a document in deploy/fleet/ with the AWS CLI.
#   scripts/deploy-fleet.sh deploy/fleet/thing-groups/factory-berlin.json [--dry-run]
# ${AWS_REGION} and ${AWS_ACCOUNT_ID} in the document are filled from the environment (the account
# from `aws sts get-caller-identity` when unset). A target has one active deployment: this one
# replaces the target's current deployment, so keep every component of the target in the document.
# Per-device documents (deploy/fleet/devices/) must be created after their group's, since the
# newest deployment wins per configuration value.
set -euo pipefail
doc=${1:?usage: deploy-fleet.sh <document.json> [--dry-run]}
dry=${2:-}
[ -f "$doc" ] || { echo "no such document: $doc" >&2; exit 1; }
: "${AWS_REGION:=$(aws configure get region 2>/dev/null || true)}"
[ -n "$AWS_REGION" ] || { echo "set AWS_REGION (or a default region in the AWS CLI)" >&2; exit 1; }
if [ -z "${AWS_ACCOUNT_ID:-}" ]; then
  if [ "$dry" = --dry-run ]; then AWS_ACCOUNT_ID=123456789012
  else AWS_ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text); fi
fi
export AWS_REGION AWS_ACCOUNT_ID
filled=$(mktemp)
trap 'rm -f "$filled"' EXIT
sed -e "s/\${AWS_REGION}/$AWS_REGION/g" -e "s/\${AWS_ACCOUNT_ID}/$AWS_ACCOUNT_ID/g" "$doc" > "$filled"
if [ "$dry" = --dry-run ]; then
  cat "$filled"
  exit 0
fi
echo "Creating the deployment in $doc for $(grep -o '"arn:aws:iot:[^"]*"' "$filled" | head -1) ..."
aws greengrassv2 create-deployment --region "$AWS_REGION" --cli-input-json "file://$filled"
