// The template scan's findings this stack answers with a choice rather than a fix, each with
// its reason: the same skips, with the same words, as infra/template.yaml's `checkov` metadata
// (docs/deploying.md lists them). checkov reads them from each resource's Metadata.

import { CfnResource, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';

type Skip = [id: string, comment: string];

const VPC: Skip = ['CKV_AWS_117', 'no VPC: the functions reach only AWS endpoints'];
const ENV: Skip = ['CKV_AWS_173', 'the environment holds names, ARNs and limits, no secret; Lambda encrypts it at rest'];
const API_CONCURRENCY: Skip = [
  'CKV_AWS_115',
  "no reserved concurrency: the API stage's throttle bounds it, and a reservation takes from the account's pool",
];
const API_DLQ: Skip = ['CKV_AWS_116', 'no DLQ: the API invokes it synchronously and a DLQ serves only asynchronous invocations'];

/** Each function's skips, by its short name. */
export const FUNCTION_SKIPS: Record<string, Skip[]> = {
  workgroups: [API_CONCURRENCY, API_DLQ],
  invite: [API_CONCURRENCY, API_DLQ],
  list: [API_CONCURRENCY, API_DLQ],
  manage: [API_CONCURRENCY, API_DLQ],
  accept: [API_CONCURRENCY, API_DLQ],
  remind: [
    ['CKV_AWS_115', 'no reserved concurrency: only its two schedules invoke it'],
    ['CKV_AWS_116', 'no DLQ: a failed sweep is redone by the next tick; a dropped tick raises RemindEventsDroppedAlarm'],
  ],
  send: [
    ['CKV_AWS_115', 'no reserved concurrency: its queue source runs at most two at once (MaximumConcurrency)'],
    ['CKV_AWS_116', "no DLQ: the emails queue's redrive policy moves what fails to EmailsDeadLetters"],
  ],
  feedback: [
    ['CKV_AWS_115', "no reserved concurrency: only SES's bounce and complaint events invoke it"],
    ['CKV_AWS_116', "no DLQ: its rule's DLQ keeps undeliverable events; a failure raises FunctionErrorsAlarm"],
  ],
  publish: [
    ['CKV_AWS_115', 'no reserved concurrency: its stream source runs one batch per shard at a time'],
    ['CKV_AWS_116', "no DLQ: its stream source's on-failure destination is the PublishFailures queue"],
  ],
};

const LOGS: Skip = ['CKV_AWS_158', 'no customer key: CloudWatch Logs encrypts at rest, and the logs hold no token or secret'];
const SQS: Skip = ['CKV_AWS_27', 'encrypted with SSE-SQS (SqsManagedSseEnabled), which checkov 3.3.30 does not read'];
const TABLE: Skip = ['CKV_AWS_119', "encrypted at rest with the AWS-managed key (SSEEnabled); only this stack's roles read it"];
const SECRET: Skip = ['CKV_AWS_149', "encrypted with the AWS-managed key; only this stack's function roles may read it"];

function skip(resource: CfnResource, skips: Skip[]) {
  resource.addMetadata('checkov', { skip: skips.map(([id, comment]) => ({ id, comment })) });
}

/** Adds the skips to every resource of `stack`; `functionName` names a function's short name. */
export function answerTheScan(stack: Stack, functionName: (fn: lambda.CfnFunction) => string | undefined) {
  for (const construct of stack.node.findAll()) {
    if (construct instanceof lambda.CfnFunction) {
      const name = functionName(construct);
      if (name) skip(construct, [...FUNCTION_SKIPS[name], VPC, ENV]);
    } else if (construct instanceof logs.CfnLogGroup) {
      skip(construct, [LOGS]);
    } else if (construct instanceof sqs.CfnQueue) {
      skip(construct, [SQS]);
    } else if (construct instanceof dynamodb.CfnTable) {
      skip(construct, [TABLE]);
    } else if (construct instanceof secretsmanager.CfnSecret) {
      skip(construct, [SECRET]);
    }
  }
}
