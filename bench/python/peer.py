"""The `workgroups` function's `GET /workgroups` written the way most teams would write it:
Python, boto3, run by AWS's runtime interface client (`python -m awslambdaric peer.handler`).
It does the same work as the Rust function: at init it reads the secret key from Secrets
Manager and builds its DynamoDB client; per request it reads the caller from the JWT claims,
queries `by_person` for the caller's memberships and answers `{items, next_cursor}`.
Used only by `bench`'s `coldstart` as the peer to compare with."""

import json
import os

import boto3

_session = boto3.session.Session()
_key = bytes.fromhex(
    _session.client("secretsmanager").get_secret_value(SecretId=os.environ["SECRET_KEY_ARN"])[
        "SecretString"
    ]
)
_dynamodb = _session.client("dynamodb")
_table = os.environ["TABLE_NAME"]


def _problem(status, title):
    return {
        "statusCode": status,
        "headers": {"content-type": "application/problem+json"},
        "body": json.dumps({"type": "about:blank", "title": title, "status": status}),
    }


def handler(event, context):
    claims = (
        event.get("requestContext", {}).get("authorizer", {}).get("jwt", {}).get("claims", {})
    )
    email = (claims.get("email") or "").strip().lower()
    if not email:
        return _problem(401, "the token carries no email address")
    query = {
        "TableName": _table,
        "IndexName": "by_person",
        "KeyConditionExpression": "#person = :person",
        "ExpressionAttributeNames": {"#person": "gsi1pk"},
        "ExpressionAttributeValues": {":person": {"S": "PERSON#" + email}},
    }
    items = []
    while True:
        page = _dynamodb.query(**query)
        for item in page["Items"]:
            workgroup, agent = item["workgroup"]["M"], item["agent"]["M"]
            items.append(
                {
                    "id": workgroup["id"]["S"],
                    "name": workgroup["name"]["S"],
                    "role": agent["role"]["S"],
                }
            )
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"items": items, "next_cursor": None}),
    }
