// Assertions on the synthesised CDK template: node --test --require ts-node/register test/stack.test.ts
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUSINESS_METRICS, dashboardBody } from '../lib/dashboard';
import { InvitationsStack, InvitationsProps } from '../lib/stack';

const base: InvitationsProps = {
  appBaseUrl: 'https://app.example.com',
  senderAddress: 'no-reply@example.com',
};

function synth(props: Partial<InvitationsProps> = {}): Template {
  // Bundling is skipped: these tests check the template, not the Rust build.
  const app = new cdk.App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new InvitationsStack(app, 'Test', { ...base, ...props }));
}

const template = synth();

test('the table: on demand, keys, six global and one local index, TTL, PITR, kept unless its create fails', () => {
  template.hasResource('AWS::DynamoDB::Table', {
    DeletionPolicy: 'RetainExceptOnCreate',
    UpdateReplacePolicy: 'Retain',
    Properties: Match.objectLike({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: Match.absent(),
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'by_person' }),
        Match.objectLike({ IndexName: 'by_invitation_id' }),
        Match.objectLike({ IndexName: 'by_token' }),
        Match.objectLike({ IndexName: 'by_expiry_day' }),
        Match.objectLike({ IndexName: 'by_retry' }),
        Match.objectLike({ IndexName: 'by_invitee' }),
      ],
      LocalSecondaryIndexes: [Match.objectLike({ IndexName: 'by_send' })],
    }),
  });
});

test('nine functions, all arm64 on provided.al2023 with JSON logs', () => {
  template.resourceCountIs('AWS::Lambda::Function', 9);
  const functions = template.findResources('AWS::Lambda::Function');
  for (const [id, resource] of Object.entries(functions)) {
    const p = resource.Properties;
    assert.deepEqual(p.Architectures, ['arm64'], id);
    assert.equal(p.Runtime, 'provided.al2023', id);
    assert.equal(p.Handler, 'bootstrap', id);
    assert.equal(p.LoggingConfig.LogFormat, 'JSON', id);
  }
});

test('the HTTP API: a JWT authorizer on the Cognito pool, twenty-three routes, seven of them open', () => {
  template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
    AuthorizerType: 'JWT',
    IdentitySource: ['$request.header.Authorization'],
    JwtConfiguration: Match.objectLike({ Audience: [Match.anyValue()] }),
  });
  template.resourceCountIs('AWS::Cognito::UserPool', 1);
  const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
  assert.equal(routes.length, 23);
  const open = routes
    .filter((r) => r.Properties.AuthorizationType === 'NONE')
    .map((r) => r.Properties.RouteKey)
    .sort();
  assert.deepEqual(open, [
    'GET /',
    'GET /accept',
    'GET /config.json',
    'GET /openapi.json',
    'GET /web/{file}',
    'POST /invitations/decline',
    'POST /invitations/lookup',
  ]);
  for (const r of routes.filter((r) => r.Properties.AuthorizationType !== 'NONE')) {
    assert.equal(r.Properties.AuthorizationType, 'JWT', r.Properties.RouteKey);
  }
});

test('an external issuer replaces the user pool', () => {
  const external = synth({ jwtIssuer: 'https://issuer.example.com', jwtAudience: 'client-1' });
  external.resourceCountIs('AWS::Cognito::UserPool', 0);
  external.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
    JwtConfiguration: { Issuer: 'https://issuer.example.com', Audience: ['client-1'] },
  });
  assert.throws(() => synth({ jwtIssuer: 'https://issuer.example.com' }), /jwtAudience/);
});

test('two schedules, reminders daily and delivery retries every 10 minutes, each with the tick time and a dead-letter queue', () => {
  const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule'));
  assert.equal(schedules.length, 2);
  const bySweep = new Map<string, any>();
  for (const schedule of schedules) {
    const target = schedule.Properties.Target;
    const input = JSON.stringify(target.Input);
    assert.match(input, /<aws\.scheduler\.scheduled-time>/);
    assert.ok(target.DeadLetterConfig.Arn, 'a dead-letter queue');
    assert.equal(target.RetryPolicy.MaximumRetryAttempts, 3);
    const sweep = /sweep\\?":\\?"(\w+)/.exec(input)?.[1];
    assert.ok(sweep, input);
    bySweep.set(sweep, schedule.Properties.ScheduleExpression);
  }
  assert.equal(bySweep.get('reminders'), 'rate(1 day)');
  assert.equal(bySweep.get('deliveries'), 'rate(10 minutes)');
});

/** The statements of the inline policies on the role of the function whose id starts with `prefix`. */
function statementsOf(t: Template, prefix: string): any[] {
  const [id, fn] = Object.entries(t.findResources('AWS::Lambda::Function')).find(([id]) =>
    id.startsWith(prefix),
  )!;
  const role = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement)
    .map((s) => ({ ...s, of: id }));
}

test('no grant on a wildcard resource but SES GetAccount; SendEmail only from the sender address, only by the send function', () => {
  for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      const resources = [statement.Resource].flat();
      const actions = [statement.Action].flat();
      if (resources.some((r) => r === '*')) {
        assert.deepEqual(actions, ['ses:GetAccount'], `${id} grants ${statement.Action} on *`);
      }
      if (actions.includes('ses:SendEmail')) {
        assert.deepEqual(statement.Condition, {
          StringEquals: { 'ses:FromAddress': 'no-reply@example.com' },
        });
      }
    }
  }
  const ses = (prefix: string) =>
    statementsOf(template, prefix).flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('ses:'));
  assert.deepEqual(ses('SendFunction').sort(), ['ses:GetAccount', 'ses:SendEmail']);
  for (const producer of ['InviteFunction', 'ManageFunction', 'RemindFunction']) {
    assert.deepEqual(ses(producer), [], `${producer} sends no email`);
  }
});

test('the emails queue: encrypted, kept 14 days, hidden six times the send timeout, five receives then its dead-letter queue', () => {
  const queues = template.findResources('AWS::SQS::Queue');
  const [queueId, queue] = Object.entries(queues).find(([id]) => id.startsWith('EmailsQueue'))!;
  const [deadId, dead] = Object.entries(queues).find(([id]) => id.startsWith('EmailsDeadLetters'))!;
  const send = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
    id.startsWith('SendFunction'),
  )![1];
  assert.equal(queue.Properties.SqsManagedSseEnabled, true);
  assert.equal(queue.Properties.MessageRetentionPeriod, 1209600);
  assert.equal(queue.Properties.VisibilityTimeout, 6 * send.Properties.Timeout);
  assert.deepEqual(queue.Properties.RedrivePolicy, {
    deadLetterTargetArn: { 'Fn::GetAtt': [deadId, 'Arn'] },
    maxReceiveCount: 5,
  });
  assert.equal(dead.Properties.SqsManagedSseEnabled, true);
  assert.equal(dead.Properties.MessageRetentionPeriod, 1209600);
  const env = send.Properties.Environment.Variables;
  assert.deepEqual(env.SES_MAX_SEND_RATE, '', 'empty: the account rate');
  assert.equal(env.SES_SENDER, 'no-reply@example.com');
  assert.ok(env.SES_CONFIGURATION_SET);
  for (const [id, f] of Object.entries(template.findResources('AWS::Lambda::Function'))) {
    const vars = f.Properties.Environment?.Variables ?? {};
    if (/^(Invite|Manage|Remind|Send)Function/.test(id)) {
      assert.deepEqual(vars.QUEUE_URL, { Ref: queueId }, id);
    }
    if (!id.startsWith('SendFunction')) assert.equal(vars.SES_SENDER, undefined, id);
  }
  const paced = synth({ sesMaxSendRate: 14 });
  const pacedSend = Object.entries(paced.findResources('AWS::Lambda::Function')).find(([id]) =>
    id.startsWith('SendFunction'),
  )![1];
  assert.equal(pacedSend.Properties.Environment.Variables.SES_MAX_SEND_RATE, '14');
});

test('the send function drains the queue: batches of ten, two at most, reporting the emails to try again', () => {
  const [queueId] = Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) =>
    id.startsWith('EmailsQueue'),
  );
  const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter(
    (m) => JSON.stringify(m.Properties.EventSourceArn).includes(queueId),
  );
  assert.equal(mappings.length, 1);
  const mapping = mappings[0].Properties;
  assert.match(mapping.FunctionName.Ref, /^SendFunction/);
  assert.equal(mapping.BatchSize, 10);
  assert.deepEqual(mapping.ScalingConfig, { MaximumConcurrency: 2 });
  assert.deepEqual(mapping.FunctionResponseTypes, ['ReportBatchItemFailures']);
  const onQueue = (prefix: string) =>
    statementsOf(template, prefix)
      .filter((s) => JSON.stringify(s.Resource).includes(queueId))
      .flatMap((s) => [s.Action].flat())
      .sort();
  // And hiding a message to try again for its backoff.
  assert.deepEqual(onQueue('SendFunction'), [
    'sqs:ChangeMessageVisibility',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    'sqs:ReceiveMessage',
  ]);
  for (const producer of ['InviteFunction', 'ManageFunction', 'RemindFunction']) {
    assert.deepEqual(onQueue(producer), ['sqs:SendMessage'], producer);
    const sqs = statementsOf(template, producer).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('sqs:')));
    assert.equal(sqs.length, 1, `${producer} posts to the emails queue only`);
  }
  for (const other of ['WorkgroupsFunction', 'ListFunction', 'AcceptFunction', 'FeedbackFunction']) {
    assert.deepEqual(onQueue(other), [], other);
  }
});

test('alarms on errors, throttles, dropped or undelivered ticks, a failing or late publisher, and undelivered or late emails', () => {
  template.resourceCountIs('AWS::CloudWatch::Alarm', 12);
  const [deadId] = Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) =>
    id.startsWith('EmailsDeadLetters'),
  );
  const [queueId] = Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) =>
    id.startsWith('EmailsQueue'),
  );
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    MetricName: 'ApproximateNumberOfMessagesVisible',
    Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadId, 'QueueName'] } }],
    Threshold: 0,
  });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    MetricName: 'ApproximateAgeOfOldestMessage',
    Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
    Threshold: 3600,
  });
  for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
    assert.equal(alarm.Properties.AlarmActions.length, 1);
    const ids = (alarm.Properties.Metrics ?? []).map((m: any) => m.Id);
    if (ids.length) assert.ok(ids.includes('send'), 'the summed alarms count the send function');
  }
  template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'IteratorAge' });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    MetricName: 'AsyncEventsDropped',
  });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    Metrics: Match.arrayWith([Match.objectLike({ Expression: Match.stringLikeRegexp('SUM') })]),
  });
});

test('the secret key is generated as 64 hex digits and kept unless its create fails', () => {
  template.hasResource('AWS::SecretsManager::Secret', {
    DeletionPolicy: 'RetainExceptOnCreate',
    Properties: Match.objectLike({
      GenerateSecretString: Match.objectLike({
        PasswordLength: 64,
        ExcludeUppercase: true,
        ExcludePunctuation: true,
        ExcludeCharacters: 'ghijklmnopqrstuvwxyz',
      }),
    }),
  });
});

test('SES bounces and complaints reach the feedback function through EventBridge', () => {
  template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
    EventDestination: Match.objectLike({
      MatchingEventTypes: ['BOUNCE', 'COMPLAINT'],
      EventBridgeDestination: Match.objectLike({ EventBusArn: Match.anyValue() }),
    }),
  });
  const rules = Object.values(template.findResources('AWS::Events::Rule'));
  assert.equal(rules.length, 1);
  const pattern = rules[0].Properties.EventPattern;
  assert.deepEqual(pattern.source, ['aws.ses']);
  assert.deepEqual(pattern['detail-type'], ['Email Bounced', 'Email Complaint Received']);
  assert.deepEqual(pattern.detail.mail.tags.purpose, ['invitation']);
  assert.ok(rules[0].Properties.Targets[0].DeadLetterConfig.Arn, 'a dead-letter queue');
});

test("the audit trail: the table's new event items, from its stream to EventBridge", () => {
  template.hasResourceProperties('AWS::DynamoDB::Table', {
    StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
  });
  const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter((m) =>
    JSON.stringify(m.Properties.EventSourceArn).includes('StreamArn'),
  );
  assert.equal(mappings.length, 1);
  const mapping = mappings[0].Properties;
  assert.equal(mapping.StartingPosition, 'TRIM_HORIZON');
  assert.deepEqual(mapping.FunctionResponseTypes, ['ReportBatchItemFailures']);
  const pattern = JSON.parse(mapping.FilterCriteria.Filters[0].Pattern);
  assert.deepEqual(pattern.eventName, ['INSERT']);
  assert.deepEqual(pattern.dynamodb.Keys.pk.S, [{ prefix: 'EVENTS#' }]);
  assert.ok(mapping.DestinationConfig.OnFailure.Destination, 'a failure destination');
  const custom = synth({ eventBusName: 'integrations' });
  const publish = Object.values(custom.findResources('AWS::Lambda::Function')).find(
    (f) => f.Properties.Environment?.Variables?.EVENT_BUS_NAME,
  );
  assert.equal(publish?.Properties.Environment.Variables.EVENT_BUS_NAME, 'integrations');
});

test('invitees sign up themselves, with a case-insensitive email verified before they sign in', () => {
  template.hasResource('AWS::Cognito::UserPool', {
    DeletionPolicy: 'RetainExceptOnCreate',
    UpdateReplacePolicy: 'Retain',
    Properties: Match.objectLike({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      UsernameAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: false },
      AutoVerifiedAttributes: ['email'],
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
    }),
  });
});

test('without a custom domain, links and the sign-in callback use the API URL', () => {
  const own = synth({ appBaseUrl: undefined });
  const [apiId] = Object.keys(own.findResources('AWS::ApiGatewayV2::Api'));
  const client = Object.values(own.findResources('AWS::Cognito::UserPoolClient'))[0];
  const callback = JSON.stringify(client.Properties.CallbackURLs);
  assert.match(callback, new RegExp(`"Fn::GetAtt":\\["${apiId}","ApiEndpoint"\\]`));
  for (const f of Object.values(own.findResources('AWS::Lambda::Function'))) {
    const base = f.Properties.Environment?.Variables?.APP_BASE_URL;
    if (base) assert.deepEqual(base, { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] });
  }
});

test('the alarm topic lets CloudWatch alarms of this account publish', () => {
  const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
  assert.equal(policies.length, 1);
  const [statement] = policies[0].Properties.PolicyDocument.Statement;
  assert.equal(statement.Effect, 'Allow');
  assert.deepEqual(statement.Principal, { Service: 'cloudwatch.amazonaws.com' });
  assert.equal(statement.Action, 'sns:Publish');
});

test('an address identity gets no DKIM settings; a domain identity gets Easy DKIM', () => {
  const address = synth({ senderIdentity: 'address' });
  address.hasResourceProperties('AWS::SES::EmailIdentity', {
    EmailIdentity: 'no-reply@example.com',
    DkimSigningAttributes: Match.absent(),
    DkimAttributes: Match.absent(),
  });
  template.hasResourceProperties('AWS::SES::EmailIdentity', {
    EmailIdentity: 'example.com',
    DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
  });
  synth({ senderIdentity: 'existing' }).resourceCountIs('AWS::SES::EmailIdentity', 0);
});

test('settings out of range are refused, naming them', () => {
  assert.throws(() => synth({ senderAddress: 'No-Reply@example.com' }), /senderAddress/);
  assert.throws(() => synth({ appBaseUrl: 'http://app.example.com' }), /appBaseUrl/);
  assert.throws(() => synth({ appBaseUrl: 'https://example.com/app' }), /appBaseUrl/);
  assert.throws(() => synth({ reminderDaysBefore: '30' }), /reminderDaysBefore/);
  assert.throws(() => synth({ inviteMaxAddresses: 1001 }), /inviteMaxAddresses/);
  assert.throws(() => synth({ inviteDailyLimit: 2.5 }), /inviteDailyLimit/);
  assert.throws(() => synth({ sesMaxSendRate: 0 }), /sesMaxSendRate/);
  assert.throws(() => synth({ sesMaxSendRate: 1001 }), /sesMaxSendRate/);
});

test('every function traces with X-Ray, with the managed policy SAM attaches', () => {
  const functions = template.findResources('AWS::Lambda::Function');
  assert.equal(Object.keys(functions).length, 9);
  for (const [id, f] of Object.entries(functions)) {
    assert.deepEqual(f.Properties.TracingConfig, { Mode: 'Active' }, id);
    const role = template.findResources('AWS::IAM::Role')[f.Properties.Role['Fn::GetAtt'][0]];
    assert.ok(JSON.stringify(role.Properties.ManagedPolicyArns).includes('AWSXrayWriteOnlyAccess'), id);
  }
});

test('alarms on the configuration set\'s bounce (5%) and complaint (0.1%) rates', () => {
  for (const [metric, threshold] of [['Reputation.BounceRate', 0.05], ['Reputation.ComplaintRate', 0.001]] as const) {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SES',
      MetricName: metric,
      Dimensions: [Match.objectLike({ Name: 'ses:configuration-set' })],
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  }
});

test('the dashboard: every business metric, and the same body as the SAM template\'s', () => {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  assert.equal(dashboards.length, 1);
  const body = dashboards[0].Properties.DashboardBody['Fn::Sub'][0];
  assert.equal(body, dashboardBody());
  for (const metric of BUSINESS_METRICS) {
    assert.ok(body.includes(`MetricName=\\"${metric}\\"`), metric);
  }
  // The SAM template's copy, as its `|-` block holds it (ten spaces in).
  const sam = fs.readFileSync(path.join(__dirname, '..', '..', 'template.yaml'), 'utf8');
  const copy = body
    .split('\n')
    .map((line: string) => (line ? `          ${line}` : line))
    .join('\n');
  assert.ok(sam.includes(`DashboardBody: !Sub\n        - |-\n${copy}\n        - `), 'infra/template.yaml holds dashboardBody()');
});

test('the alarm topic is encrypted under its own rotated key, which CloudWatch may use', () => {
  const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));
  template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
  template.hasResource('AWS::KMS::Key', {
    DeletionPolicy: 'Delete',
    Properties: Match.objectLike({
      EnableKeyRotation: true,
      KeyPolicy: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      }),
    }),
  });
});

test('every finding of the template scan not fixed is skipped with a reason, next to its resource', () => {
  for (const [id, resource] of Object.entries(template.toJSON().Resources as Record<string, any>)) {
    for (const skip of resource.Metadata?.checkov?.skip ?? []) {
      assert.match(skip.id, /^CKV_AWS_\d+$/, id);
      assert.ok(skip.comment.length >= 10, `${id}: ${skip.id} has a reason`);
    }
  }
  const functions = Object.values(template.findResources('AWS::Lambda::Function'));
  for (const f of functions) {
    const ids = f.Metadata.checkov.skip.map((s: any) => s.id).sort();
    assert.deepEqual(ids, ['CKV_AWS_115', 'CKV_AWS_116', 'CKV_AWS_117', 'CKV_AWS_173']);
  }
});
