#!/usr/bin/env node
// cdk deploy -c appBaseUrl=https://app.example.com -c senderAddress=no-reply@example.com \
//   -c senderIdentity=example.com [-c senderName=... -c jwtIssuer=... -c jwtAudience=... \
//   -c authDomainPrefix=... -c alarmEmail=... -c createSenderIdentity=false]
//
// CDK_SKIP_BUNDLING=1 synthesises without building the Rust functions (tests, template checks).
import * as cdk from 'aws-cdk-lib';
import { InvitationsStack } from '../lib/stack';

const app = new cdk.App(
  process.env.CDK_SKIP_BUNDLING ? { context: { 'aws:cdk:bundling-stacks': [] } } : {},
);
const context = (name: string): string | undefined => app.node.tryGetContext(name);
const required = (name: string, example: string): string => {
  const value = context(name);
  if (!value) throw new Error(`missing context ${name}: cdk deploy -c ${name}=${example}`);
  return value;
};
const skipping = Boolean(process.env.CDK_SKIP_BUNDLING);
// Synthesising only to check the template needs no real values.
const pick = (name: string, example: string) => (skipping ? context(name) ?? example : required(name, example));

new InvitationsStack(app, context('stackName') ?? 'WorkgroupInvitations', {
  appBaseUrl: pick('appBaseUrl', 'https://app.example.com'),
  senderAddress: pick('senderAddress', 'no-reply@example.com'),
  senderIdentity: pick('senderIdentity', 'example.com'),
  senderName: context('senderName'),
  createSenderIdentity: context('createSenderIdentity') !== 'false',
  jwtIssuer: context('jwtIssuer'),
  jwtAudience: context('jwtAudience'),
  authDomainPrefix: context('authDomainPrefix'),
  inviteMaxAddresses: context('inviteMaxAddresses') ? Number(context('inviteMaxAddresses')) : undefined,
  inviteDailyLimit: context('inviteDailyLimit') ? Number(context('inviteDailyLimit')) : undefined,
  pendingInvitationLimit: context('pendingInvitationLimit')
    ? Number(context('pendingInvitationLimit'))
    : undefined,
  inviterDailyLimit: context('inviterDailyLimit') ? Number(context('inviterDailyLimit')) : undefined,
  recipientDailyLimit: context('recipientDailyLimit')
    ? Number(context('recipientDailyLimit'))
    : undefined,
  workgroupDailyLimit: context('workgroupDailyLimit')
    ? Number(context('workgroupDailyLimit'))
    : undefined,
  eventBusName: context('eventBusName'),
  reminderDaysBefore: context('reminderDaysBefore'),
  reminderSchedule: context('reminderSchedule'),
  deliveryRetrySchedule: context('deliveryRetrySchedule'),
  alarmEmail: context('alarmEmail'),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
