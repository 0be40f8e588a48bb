#!/usr/bin/env bash
# Uploads the enrichment Lambda zip and deploys main-stack.yaml with the seed's command:
#
#   deploy/cloudformation/deploy-stack.sh --bucket BUCKET [--env Production] [--stack NAME]
#       [--zip PATH] [--x86_64] [--region REGION] [-- KEY=VALUE ...]
#
# BUCKET (yours, in the stack's region) receives the zip under a content-addressed key
# (enrichment-lambda/bootstrap-<sha256>.zip, so CloudFormation sees new code as a change) and the
# template, which is over the 51,200 bytes CloudFormation takes inline. Defaults: Production,
# stack smart-factory-<env lower case>, zip target/lambda/enrichment-lambda/bootstrap.zip (from
# build-lambda.sh), arm64. KEY=VALUE pairs after `--` are more --parameter-overrides (AlertEmail=…).
# AWS_CLI overrides the `aws` command (tests use a recorder).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
aws=${AWS_CLI:-aws}
bucket="" env=Production stack="" zip="$repo/target/lambda/enrichment-lambda/bootstrap.zip" arch=arm64 region=()
while [ $# -gt 0 ]; do
  case $1 in
    --bucket) bucket=$2; shift ;;
    --env) env=$2; shift ;;
    --stack) stack=$2; shift ;;
    --zip) zip=$2; shift ;;
    --x86_64) arch=x86_64 ;;
    --region) region=(--region "$2"); shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "deploy-stack: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$bucket" ] || { echo "deploy-stack: --bucket is required" >&2; exit 2; }
case $env in Production|Development) ;; *) echo "deploy-stack: --env is Production or Development" >&2; exit 2 ;; esac
[ -f "$zip" ] || { echo "deploy-stack: $zip not found; run deploy/cloudformation/build-lambda.sh --arm64 first" >&2; exit 1; }
[ -n "$stack" ] || stack="smart-factory-$(tr '[:upper:]' '[:lower:]' <<<"$env")"

key="enrichment-lambda/bootstrap-$(sha256sum "$zip" | cut -c1-16).zip"
"$aws" "${region[@]}" s3 cp "$zip" "s3://$bucket/$key"
"$aws" "${region[@]}" cloudformation deploy \
  --template-file "$repo/deploy/cloudformation/main-stack.yaml" \
  --stack-name "$stack" \
  --parameter-overrides EnvironmentType="$env" LambdaCodeBucket="$bucket" LambdaCodeKey="$key" \
    LambdaArchitecture="$arch" "$@" \
  --capabilities CAPABILITY_IAM \
  --s3-bucket "$bucket"
"$aws" "${region[@]}" cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].Outputs' --output table
