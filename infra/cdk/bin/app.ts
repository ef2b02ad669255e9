#!/usr/bin/env node
// cdk deploy -c senderAddress=no-reply@example.com [-c appBaseUrl=https://app.example.com
//   -c senderIdentity=domain|address|existing -c senderName=... -c jwtIssuer=... -c jwtAudience=...
//   -c authDomainPrefix=... -c sesMaxSendRate=14 -c alarmEmail=... -c stackName=...]
// Every setting of lib/parameters.ts is a context value named as the SAM parameter, in
// lowerCamelCase, and checked against the same range.
//
// CDK_SKIP_BUNDLING=1 synthesises without building the Rust functions (tests, template checks).
import * as cdk from 'aws-cdk-lib';
import { propsFromContext } from '../lib/parameters';
import { InvitationsStack } from '../lib/stack';

const skipping = Boolean(process.env.CDK_SKIP_BUNDLING);
const app = new cdk.App(skipping ? { context: { 'aws:cdk:bundling-stacks': [] } } : {});
const context = (name: string): string | undefined => {
  const value = app.node.tryGetContext(name);
  return value === undefined ? undefined : String(value);
};
// Synthesising only to check the template needs no real sender.
const settings = propsFromContext((name) =>
  name === 'senderAddress' && skipping ? context(name) ?? 'no-reply@example.com' : context(name),
);

new InvitationsStack(app, context('stackName') ?? 'WorkgroupInvitations', {
  ...settings,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
