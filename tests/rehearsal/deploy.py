"""Deploys one CloudFormation template to the rehearsal's moto, as `cloudformation deploy` would,
and prints what the stack became, as JSON.

    python deploy.py <endpoint> <stack name> <template.json> <parameters.json> <record dir>

Parameters are checked against their constraints first, as CloudFormation checks them. Before
the stack: the function code the template points at (a small zip in the bucket and key
it names: SAM's packaged URI, or the CDK's asset bucket) and, for the CDK, the bootstrap
version parameter `cdk bootstrap` leaves in SSM. The stack must reach CREATE_COMPLETE.

Printed: the stack's status and outputs; every resource with its type, physical id and the
properties CloudFormation resolved (recorded by moto_cfn.py), queues and event source mappings
also with what SQS and Lambda hold of them (`Held`: the queue's attributes, the mapping's
configuration); each function's configuration as Lambda holds it; and the documents of the
managed policies the roles attach.
"""

import io
import json
import re
import sys
import zipfile

import boto3

endpoint, stack_name, template_path, parameters_path, record_dir = sys.argv[1:6]
ACCOUNT, REGION = "123456789012", "us-east-1"
session = boto3.session.Session(
    aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
)


def client(service):
    return session.client(service, endpoint_url=endpoint)


template = json.load(open(template_path))
parameters = json.load(open(parameters_path))


def pseudo(value):
    if isinstance(value, dict) and "Fn::Sub" in value:
        value = value["Fn::Sub"]
    return value.replace("${AWS::AccountId}", ACCOUNT).replace("${AWS::Region}", REGION)


archive = io.BytesIO()
with zipfile.ZipFile(archive, "w") as z:
    z.writestr("bootstrap", "#!/bin/sh\n# the rehearsal runs the real binary itself\n")
s3 = client("s3")
for resource in template["Resources"].values():
    if resource["Type"] != "AWS::Lambda::Function":
        continue
    code = resource["Properties"]["Code"]
    bucket, key = pseudo(code["S3Bucket"]), pseudo(code["S3Key"])
    if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=archive.getvalue())

for name, parameter in template.get("Parameters", {}).items():
    if parameter.get("Type", "").startswith("AWS::SSM::Parameter::Value"):
        client("ssm").put_parameter(Name=parameter["Default"], Value="30", Type="String", Overwrite=True)

# CloudFormation refuses parameters out of their constraints before it creates anything; moto
# does not check them.
for name, parameter in template.get("Parameters", {}).items():
    value = parameters.get(name, parameter.get("Default"))
    if value is None:
        sys.exit(f"parameter {name} has no value")
    value = str(value)
    refused = (
        ("AllowedValues" in parameter and value not in [str(v) for v in parameter["AllowedValues"]])
        or ("AllowedPattern" in parameter and re.fullmatch(parameter["AllowedPattern"], value) is None)
        or ("MaxLength" in parameter and len(value) > int(parameter["MaxLength"]))
        or ("MinLength" in parameter and len(value) < int(parameter["MinLength"]))
    )
    if refused:
        sys.exit(f"CloudFormation refuses {name}={value!r}: {parameter.get('ConstraintDescription', parameter)}")

cloudformation = client("cloudformation")
cloudformation.create_stack(
    StackName=stack_name,
    TemplateBody=json.dumps(template),
    Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
)
stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]

resources = json.load(open(f"{record_dir}/{stack_name}.json"))

lambda_client = client("lambda")
functions = {}
for logical_id, resource in resources.items():
    if resource.get("Type") == "AWS::Lambda::Function":
        configuration = lambda_client.get_function_configuration(FunctionName=resource["PhysicalId"])
        configuration.pop("ResponseMetadata", None)
        functions[logical_id] = configuration

sqs = client("sqs")
for resource in resources.values():
    if resource.get("Type") == "AWS::SQS::Queue":
        resource["Held"] = sqs.get_queue_attributes(
            QueueUrl=resource["PhysicalId"], AttributeNames=["All"]
        )["Attributes"]
    elif resource.get("Type") == "AWS::Lambda::EventSourceMapping":
        held = lambda_client.get_event_source_mapping(UUID=resource["PhysicalId"])
        held.pop("ResponseMetadata", None)
        resource["Held"] = held

iam = client("iam")
managed = {}
for resource in resources.values():
    for arn in (resource.get("Properties") or {}).get("ManagedPolicyArns", []) or []:
        if arn in managed:
            continue
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
        version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
        managed[arn] = version["PolicyVersion"]["Document"]

print(json.dumps({
    "status": stack["StackStatus"],
    "outputs": {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
    "resources": resources,
    "functions": functions,
    "managed_policies": managed,
}, default=str))
