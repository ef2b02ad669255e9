// The same stack as infra/template.yaml (SAM), in the CDK. A test in the Rust workspace reads
// both templates back and checks they agree with the code on every name: environment
// variables, key attributes, indexes, the TTL attribute, routes and each function's grants.

import * as path from 'node:path';
import { ArnFormat, CfnOutput, Duration, Fn, RemovalPolicy, Stack, StackProps, TimeZone } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { RustFunction } from 'cargo-lambda-cdk';
import { Construct } from 'constructs';
import { answerTheScan } from './checkov';
import { dashboardBody, functionPlaceholder } from './dashboard';
import { check, Parameter, PARAMETERS } from './parameters';

export interface InvitationsProps extends StackProps {
  /** Where the web console is served, an https origin without a path (a custom domain on the
   * API); by default the API's own URL. Accept links are <appBaseUrl>/accept#token=... */
  readonly appBaseUrl?: string;
  /** The From address of invitation emails, in lower case. */
  readonly senderAddress: string;
  readonly senderName?: string;
  /** The SES identity to create: the sender's domain (default, Easy DKIM), the address itself,
   * or none (`existing`, already verified in the account and region). */
  readonly senderIdentity?: 'domain' | 'address' | 'existing';
  /** Emails per second handed to SES, all senders together (1 to 1000); by default the
   * account's maximum send rate (SES GetAccount). */
  readonly sesMaxSendRate?: number;
  /** An external OIDC issuer and audience; without them a Cognito user pool is created. */
  readonly jwtIssuer?: string;
  readonly jwtAudience?: string;
  /** Prefix of the Cognito hosted UI domain. */
  readonly authDomainPrefix?: string;
  /** Addresses one invite request may carry (default 50). */
  readonly inviteMaxAddresses?: number;
  /** Invitation emails one inviter may send in one workgroup per UTC day (default 200). */
  readonly inviteDailyLimit?: number;
  /** Pending invitations one workgroup may have at once (default 1000). */
  readonly pendingInvitationLimit?: number;
  /** Invitation emails one inviter may send per UTC day, all workgroups together (default 500). */
  readonly inviterDailyLimit?: number;
  /** Invitation emails one address may receive per UTC day (default 5). */
  readonly recipientDailyLimit?: number;
  /** Workgroups one person may create per UTC day (default 10). */
  readonly workgroupDailyLimit?: number;
  /** The EventBridge bus the audit trail is published to (default: the account's default bus). */
  readonly eventBusName?: string;
  readonly reminderDaysBefore?: string;
  readonly reminderScheduleExpression?: string;
  readonly deliveryRetryScheduleExpression?: string;
  readonly alarmEmail?: string;
  /** Days the functions' and the API's logs are kept (default 30). */
  readonly logRetentionDays?: number;
}

/** The workspace root, where Cargo.toml lists every function's crate. */
const WORKSPACE = path.join(__dirname, '..', '..', '..');

type FunctionName =
  | 'workgroups'
  | 'invite'
  | 'list'
  | 'manage'
  | 'accept'
  | 'remind'
  | 'send'
  | 'feedback'
  | 'publish';

export class InvitationsStack extends Stack {
  constructor(scope: Construct, id: string, props: InvitationsProps) {
    super(scope, id, props);
    if (props.jwtIssuer && !props.jwtAudience) throw new Error('jwtAudience is required with jwtIssuer');
    check(
      Object.fromEntries(
        Object.keys(PARAMETERS).map((name) => {
          const value = props[name as keyof InvitationsProps];
          return [name, value === undefined ? undefined : String(value)];
        }),
      ),
    );
    const retention: logs.RetentionDays = props.logRetentionDays ?? logs.RetentionDays.ONE_MONTH;
    // What outlives the stack (the table, the key, the user pool, the logs) is kept when the
    // stack is deleted or replaces it, but not when the create that made it fails: a failed
    // first deploy leaves nothing behind for the next attempt to meet.
    const kept = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

    // ------------------------------------------------------------ storage and secrets
    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expires_at',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // No deletion protection: a failed first create must be able to delete the table it
      // made. The stack keeps it on delete and replacement, and PITR keeps 35 days of it.
      removalPolicy: kept,
      // The publish function forwards the audit trail's new items from here.
      stream: dynamodb.StreamViewType.NEW_IMAGE,
    });
    const globalIndex = (indexName: string, partition: string, sort?: string) =>
      table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: partition, type: dynamodb.AttributeType.STRING },
        sortKey: sort ? { name: sort, type: dynamodb.AttributeType.STRING } : undefined,
        projectionType: dynamodb.ProjectionType.ALL,
      });
    globalIndex('by_person', 'gsi1pk', 'gsi1sk');
    globalIndex('by_invitation_id', 'gsi2pk');
    globalIndex('by_token', 'gsi3pk');
    globalIndex('by_expiry_day', 'gsi4pk', 'gsi4sk');
    globalIndex('by_retry', 'gsi5pk', 'gsi5sk');
    globalIndex('by_invitee', 'gsi6pk', 'gsi6sk');
    table.addLocalSecondaryIndex({
      indexName: 'by_send',
      sortKey: { name: 'lsi1sk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    // Signs invitation tokens and list cursors; kept with the table, since a new key would void
    // every link already emailed.
    const secretKey = new secretsmanager.Secret(this, 'SecretKey', {
      description: 'Key for invitation tokens and list cursors (64 hex digits)',
      generateSecretString: {
        passwordLength: 64,
        excludeUppercase: true,
        excludePunctuation: true,
        excludeCharacters: 'ghijklmnopqrstuvwxyz',
        includeSpace: false,
      },
      removalPolicy: kept,
    });

    // ------------------------------------------------------------ email
    const configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    // The sender's domain with Easy DKIM, or the address itself (SES takes DKIM settings only
    // for domains).
    const identityKind = props.senderIdentity ?? 'domain';
    if (identityKind !== 'existing') {
      const domain = identityKind === 'domain';
      const identity = new ses.EmailIdentity(this, 'SenderEmailIdentity', {
        identity: domain
          ? ses.Identity.domain(props.senderAddress.split('@')[1])
          : ses.Identity.email(props.senderAddress),
        configurationSet,
        dkimIdentity: domain
          ? ses.DkimIdentity.easyDkim(ses.EasyDkimSigningKeyLength.RSA_2048_BIT)
          : ses.DkimIdentity.easyDkim(),
      });
      if (domain) {
        new CfnOutput(this, 'SenderDkimRecords', {
          description: "The three CNAME records that verify the sender's domain (name=value)",
          value: [
            `${identity.dkimDnsTokenName1}=${identity.dkimDnsTokenValue1}`,
            `${identity.dkimDnsTokenName2}=${identity.dkimDnsTokenValue2}`,
            `${identity.dkimDnsTokenName3}=${identity.dkimDnsTokenValue3}`,
          ].join(' '),
        });
      }
    }
    const sender = props.senderName
      ? `${props.senderName} <${props.senderAddress}>`
      : props.senderAddress;

    // ------------------------------------------------------------ the API
    // Made first, with no routes: the functions and the sign-in callback can then name its own
    // URL when there is no custom domain.
    const api = new apigw.HttpApi(this, 'Api', { apiName: this.stackName, createDefaultStage: true });
    const appBaseUrl = props.appBaseUrl || api.apiEndpoint;

    // ------------------------------------------------------------ sign-in
    let issuer: string;
    let audience: string;
    // How the web console signs in: the hosted UI when the pool has a domain, else not at all.
    let signIn = { SIGN_IN_DOMAIN: '', SIGN_IN_CLIENT_ID: '' };
    if (props.jwtIssuer) {
      issuer = props.jwtIssuer;
      audience = props.jwtAudience!;
    } else {
      // People sign up themselves (an invitee has no account yet) with their email as a
      // case-insensitive username; Cognito confirms the address with a code before the first
      // sign-in, and keeps the old one until a changed one is confirmed. Changing the username
      // settings of an existing pool replaces it (its users are not carried over).
      const userPool = new cognito.UserPool(this, 'UserPool', {
        selfSignUpEnabled: true,
        signInAliases: { email: true },
        signInCaseSensitive: false,
        autoVerify: { email: true },
        keepOriginal: { email: true },
        standardAttributes: {
          email: { required: true, mutable: true },
          fullname: { required: false, mutable: true },
        },
        passwordPolicy: { minLength: 12 },
        userVerification: {
          emailStyle: cognito.VerificationEmailStyle.CODE,
          emailSubject: 'Your workgroup invitations code',
          emailBody: 'Your verification code is {####}.',
          smsMessage: 'Your verification code is {####}.',
        },
        accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
        removalPolicy: kept,
      });
      const client = userPool.addClient('UserPoolClient', {
        generateSecret: false,
        authFlows: { userSrp: true },
        oAuth: {
          flows: { authorizationCodeGrant: true },
          scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
          // The web console returns to its root with the code (authorization code with PKCE).
          callbackUrls: [`${appBaseUrl}/`],
          logoutUrls: [`${appBaseUrl}/`],
        },
        supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
        preventUserExistenceErrors: true,
        idTokenValidity: Duration.minutes(60),
        accessTokenValidity: Duration.minutes(60),
      });
      if (props.authDomainPrefix) {
        userPool.addDomain('UserPoolDomain', {
          cognitoDomain: { domainPrefix: props.authDomainPrefix },
        });
        new CfnOutput(this, 'HostedUiDomain', {
          value: `${props.authDomainPrefix}.auth.${this.region}.amazoncognito.com`,
        });
        signIn = {
          SIGN_IN_DOMAIN: `https://${props.authDomainPrefix}.auth.${this.region}.amazoncognito.com`,
          SIGN_IN_CLIENT_ID: client.userPoolClientId,
        };
      }
      issuer = `https://cognito-idp.${this.region}.amazonaws.com/${userPool.userPoolId}`;
      audience = client.userPoolClientId;
      new CfnOutput(this, 'UserPoolId', { value: userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: client.userPoolClientId });
    }

    // ------------------------------------------------------------ the queue of due emails
    // Every queue keeps what it holds 14 days (SQS's longest), for whoever answers the alarm.
    // The emails use cases made due wait here until the send function has handed them to SES.
    // The visibility timeout is six times the send function's, as Lambda asks of an SQS source:
    // a batch still running is never given to another instance, and an email reported back
    // waits six minutes before it comes again. After five receives (half an hour of SES
    // refusing to take it, or of the table failing) it goes to the dead-letter queue and the
    // alarm fires; the table still holds it as due, and the delivery sweep posts it again.
    const sendTimeout = Duration.seconds(60);
    const emailsDeadLetters = new sqs.Queue(this, 'EmailsDeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
    });
    const emailsQueue = new sqs.Queue(this, 'EmailsQueue', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      visibilityTimeout: Duration.seconds(6 * sendTimeout.toSeconds()),
      deadLetterQueue: { queue: emailsDeadLetters, maxReceiveCount: 5 },
    });

    // ------------------------------------------------------------ functions
    const common = {
      TABLE_NAME: table.tableName,
      SECRET_KEY_ARN: secretKey.secretArn,
      APP_BASE_URL: appBaseUrl,
    };
    // The feedback function only marks invitations: it needs the table and nothing else.
    const tableOnly = { TABLE_NAME: table.tableName };
    const setting = (name: keyof typeof PARAMETERS, value: number | string | undefined) =>
      value === undefined ? (PARAMETERS[name] as Parameter).default ?? '' : String(value);
    const limits = {
      INVITE_DAILY_LIMIT: setting('inviteDailyLimit', props.inviteDailyLimit),
      INVITER_DAILY_LIMIT: setting('inviterDailyLimit', props.inviterDailyLimit),
      RECIPIENT_DAILY_LIMIT: setting('recipientDailyLimit', props.recipientDailyLimit),
      PENDING_INVITATION_LIMIT: setting('pendingInvitationLimit', props.pendingInvitationLimit),
    };
    const eventBusName = props.eventBusName ?? 'default';
    // The functions that make emails due post them to the queue; only the send function mails
    // (and hides a message to try again for its backoff).
    const queue = { QUEUE_URL: emailsQueue.queueUrl };
    const environments: Record<FunctionName, Record<string, string>> = {
      workgroups: {
        ...common,
        WORKGROUP_DAILY_LIMIT: setting('workgroupDailyLimit', props.workgroupDailyLimit),
      },
      invite: {
        ...common,
        ...queue,
        INVITE_MAX_ADDRESSES: setting('inviteMaxAddresses', props.inviteMaxAddresses),
        ...limits,
      },
      // The inviter's allowance: the limits the invite function applies.
      list: {
        ...common,
        ...signIn,
        INVITE_MAX_ADDRESSES: setting('inviteMaxAddresses', props.inviteMaxAddresses),
        INVITE_DAILY_LIMIT: limits.INVITE_DAILY_LIMIT,
        INVITER_DAILY_LIMIT: limits.INVITER_DAILY_LIMIT,
      },
      manage: { ...common, ...queue, ...limits },
      accept: { ...common },
      remind: {
        ...common,
        ...queue,
        REMINDER_DAYS_BEFORE: setting('reminderDaysBefore', props.reminderDaysBefore),
      },
      send: {
        ...common,
        SES_SENDER: sender,
        SES_CONFIGURATION_SET: configurationSet.configurationSetName,
        SES_MAX_SEND_RATE: setting('sesMaxSendRate', props.sesMaxSendRate),
        ...queue,
      },
      feedback: tableOnly,
      // The publish function reads the table's stream, not the table: it needs only the bus.
      publish: { EVENT_BUS_NAME: eventBusName },
    };
    const descriptions: Record<FunctionName, string> = {
      workgroups: 'Create a workgroup, list mine',
      invite: 'Invite agents by email',
      list: 'List agents, invitations and events, read one invitation and the sending allowance, the OpenAPI document, the web console',
      manage: "Cancel or resend an invitation; change an agent's role or remove an agent",
      accept: "Look up, accept or decline an invitation by its token, or the caller's own by id",
      remind: 'The reminder, delivery-retry and expiry sweeps, on EventBridge Scheduler ticks',
      send: 'Hands the queued emails to SES at its sending rate',
      feedback: 'Marks invitations whose email bounced or drew a complaint (SES events)',
      publish: "Publishes the audit trail's events from the table's stream to EventBridge",
    };
    const timeouts: Partial<Record<FunctionName, Duration>> = {
      invite: Duration.seconds(29),
      remind: Duration.minutes(5),
      // A batch of ten at the sandbox's rate of 1 a second, shared by two instances, takes 20
      // seconds; the queue's visibility timeout is six times this.
      send: sendTimeout,
      publish: Duration.minutes(1),
    };
    const fn = {} as Record<FunctionName, RustFunction>;
    for (const name of Object.keys(environments) as FunctionName[]) {
      const logGroup = new logs.LogGroup(this, `${capitalise(name)}Logs`, { retention, removalPolicy: kept });
      fn[name] = new RustFunction(this, `${capitalise(name)}Function`, {
        manifestPath: path.join(WORKSPACE, 'Cargo.toml'),
        binaryName: name,
        runtime: 'provided.al2023',
        architecture: lambda.Architecture.ARM_64,
        bundling: { architecture: lambda.Architecture.ARM_64 },
        description: descriptions[name],
        memorySize: 256,
        timeout: timeouts[name] ?? Duration.seconds(10),
        environment: environments[name],
        loggingFormat: lambda.LoggingFormat.JSON,
        logGroup,
      });
      // X-Ray active tracing, with the managed policy SAM's `Tracing: Active` attaches (the
      // L2 `tracing` prop would write the same grant inline instead).
      (fn[name].node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: 'Active' };
      fn[name].role!.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AWSXrayWriteOnlyAccess'));
      if (name !== 'feedback' && name !== 'publish') {
        fn[name].addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['secretsmanager:GetSecretValue'],
            resources: [secretKey.secretArn],
          }),
        );
      }
    }

    // Exactly the actions each function's use cases call (see shared/runtime/src/permissions.rs).
    const onTable = (name: FunctionName, actions: string[]) =>
      fn[name].addToRolePolicy(new iam.PolicyStatement({ actions, resources: [table.tableArn] }));
    const queries = (name: FunctionName, indexes: string[]) =>
      fn[name].addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: indexes.map((index) => `${table.tableArn}/index/${index}`),
        }),
      );
    onTable('workgroups', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    queries('workgroups', ['by_person']);
    onTable('invite', ['dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    queries('invite', ['by_person']);
    onTable('list', ['dynamodb:GetItem', 'dynamodb:Query']);
    queries('list', ['by_send', 'by_invitation_id']);
    onTable('manage', ['dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    queries('manage', ['by_invitation_id', 'by_person']);
    onTable('accept', ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    queries('accept', ['by_person', 'by_token', 'by_invitation_id', 'by_invitee']);
    onTable('remind', ['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    queries('remind', ['by_expiry_day', 'by_retry']);
    onTable('send', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    onTable('feedback', ['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    queries('feedback', ['by_invitation_id']);
    // The functions that make emails due may post them, to the one queue.
    for (const name of ['invite', 'manage', 'remind'] as FunctionName[]) {
      fn[name].addToRolePolicy(
        new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [emailsQueue.queueArn] }),
      );
    }
    fn.send.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          this.formatArn({ service: 'ses', resource: 'identity', resourceName: '*' }),
          this.formatArn({
            service: 'ses',
            resource: 'configuration-set',
            resourceName: configurationSet.configurationSetName,
          }),
        ],
        // The address is in lower case (the settings allow nothing else), as the function
        // sends it.
        conditions: { StringEquals: { 'ses:FromAddress': props.senderAddress } },
      }),
    );
    // The account's sending rate, when sesMaxSendRate is not set: an account-level read, which
    // IAM grants only on every resource.
    fn.send.addToRolePolicy(new iam.PolicyStatement({ actions: ['ses:GetAccount'], resources: ['*'] }));
    // What the event source mapping reads the queue with, and a message to try again hidden for
    // its backoff.
    fn.send.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:ReceiveMessage',
        ],
        resources: [emailsQueue.queueArn],
      }),
    );
    // Ten emails a batch, at most two instances at once (the fewest an SQS source allows: they
    // share the sending rate anyway). An email SES asked to slow down for, or that the table
    // refused, is hidden for a backoff that grows with its receives (5 s, then 4 times longer
    // each time) and reported back.
    new lambda.EventSourceMapping(this, 'DueEmails', {
      target: fn.send,
      eventSourceArn: emailsQueue.queueArn,
      batchSize: 10,
      maxConcurrency: 2,
      reportBatchItemFailures: true,
    });

    // ------------------------------------------------------------ routes
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention, removalPolicy: kept });
    const stage = api.defaultStage!.node.defaultChild as apigw.CfnStage;
    stage.defaultRouteSettings = { throttlingBurstLimit: 200, throttlingRateLimit: 100 };
    stage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      // No headers and no query strings: nothing here can carry a token.
      format: JSON.stringify({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        routeKey: '$context.routeKey',
        status: '$context.status',
        latency: '$context.responseLatency',
        integrationError: '$context.integrationErrorMessage',
      }),
    };
    const jwt = new HttpJwtAuthorizer('Jwt', issuer, {
      jwtAudience: [audience],
      identitySource: ['$request.header.Authorization'],
    });
    const open = new apigw.HttpNoneAuthorizer();
    const route = (name: FunctionName, method: apigw.HttpMethod, routePath: string, signedIn = true) =>
      api.addRoutes({
        path: routePath,
        methods: [method],
        integration: new HttpLambdaIntegration(`${capitalise(name)}${method}${routePath}`, fn[name]),
        authorizer: signedIn ? jwt : open,
      });
    const { GET, POST, PATCH, DELETE } = apigw.HttpMethod;
    route('workgroups', POST, '/workgroups');
    route('workgroups', GET, '/workgroups');
    route('list', GET, '/workgroups/{wg}/agents');
    route('invite', POST, '/workgroups/{wg}/invitations');
    route('list', GET, '/workgroups/{wg}/invitations');
    route('list', GET, '/workgroups/{wg}/invitations/{id}');
    route('manage', DELETE, '/workgroups/{wg}/invitations/{id}');
    route('manage', POST, '/workgroups/{wg}/invitations/{id}/resend');
    route('manage', PATCH, '/workgroups/{wg}/agents/{id}');
    route('manage', DELETE, '/workgroups/{wg}/agents/{id}');
    route('accept', POST, '/invitations/lookup', false);
    route('accept', POST, '/invitations/accept');
    route('accept', POST, '/invitations/decline', false);
    route('accept', GET, '/me/invitations');
    route('accept', POST, '/me/invitations/{id}/accept');
    route('accept', POST, '/me/invitations/{id}/decline');
    route('list', GET, '/workgroups/{wg}/events');
    route('list', GET, '/workgroups/{wg}/allowance');
    route('list', GET, '/openapi.json', false);
    route('list', GET, '/', false);
    route('list', GET, '/accept', false);
    route('list', GET, '/web/{file}', false);
    route('list', GET, '/config.json', false);

    // ------------------------------------------------------------ the reminder schedule
    fn.remind.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(1) });
    // Two schedules on the one function: reminders (daily by default) and another attempt at
    // emails SES could not take (every 10 minutes), each with its own role and dead-letter
    // queue, and a name CloudFormation makes. The function reads the tick's time from `time`
    // and its job from `detail.sweep`.
    const tick = (id: string, sweep: 'reminders' | 'deliveries', expression: string, queueId: string) => {
      const deadLetters = new sqs.Queue(this, queueId, {
        retentionPeriod: Duration.days(14),
        encryption: sqs.QueueEncryption.SQS_MANAGED,
      });
      new scheduler.Schedule(this, id, {
        schedule: scheduler.ScheduleExpression.expression(expression, TimeZone.ETC_UTC),
        description: `The ${sweep} sweep`,
        target: new targets.LambdaInvoke(fn.remind, {
          role: new iam.Role(this, `${id}Role`, {
            assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
          }),
          retryAttempts: 3,
          maxEventAge: Duration.hours(1),
          deadLetterQueue: deadLetters,
          input: scheduler.ScheduleTargetInput.fromObject({
            version: '0',
            id: scheduler.ContextAttribute.executionId,
            'detail-type': 'Scheduled Event',
            source: 'aws.scheduler',
            account: this.account,
            time: scheduler.ContextAttribute.scheduledTime,
            region: this.region,
            resources: [scheduler.ContextAttribute.scheduleArn],
            detail: { sweep, attempt: scheduler.ContextAttribute.attemptNumber },
          }),
        }),
      });
      return deadLetters;
    };
    const tickDeadLetters = tick(
      'RemindFunctionTick',
      'reminders',
      setting('reminderScheduleExpression', props.reminderScheduleExpression),
      'RemindTickDeadLetters',
    );
    const retryDeadLetters = tick(
      'RemindFunctionRetryTick',
      'deliveries',
      setting('deliveryRetryScheduleExpression', props.deliveryRetryScheduleExpression),
      'RetryTickDeadLetters',
    );

    // ------------------------------------------------------------ SES feedback
    // SES publishes the configuration set's bounces and complaints to the default event bus;
    // a rule hands ours to the feedback function.
    new ses.CfnConfigurationSetEventDestination(this, 'FeedbackEventDestination', {
      configurationSetName: configurationSet.configurationSetName,
      eventDestination: {
        name: 'bounces-and-complaints',
        enabled: true,
        matchingEventTypes: ['BOUNCE', 'COMPLAINT'],
        eventBridgeDestination: {
          eventBusArn: this.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' }),
        },
      },
    });
    const feedbackDeadLetters = new sqs.Queue(this, 'FeedbackDeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
    });
    new events.Rule(this, 'FeedbackFunctionSesFeedback', {
      eventPattern: {
        source: ['aws.ses'],
        detailType: ['Email Bounced', 'Email Complaint Received'],
        detail: {
          mail: {
            tags: {
              purpose: ['invitation'],
              'ses:configuration-set': [configurationSet.configurationSetName],
            },
          },
        },
      },
      targets: [
        new eventTargets.LambdaFunction(fn.feedback, {
          deadLetterQueue: feedbackDeadLetters,
          retryAttempts: 10,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });

    // ------------------------------------------------------------ the audit trail
    // New event items, from the table's stream to the bus. A batch EventBridge refuses part of
    // is retried from its first refused record; one given up on is recorded in the queue
    // (its shard and sequence numbers: the events stay in the table).
    const publishFailures = new sqs.Queue(this, 'PublishFailures', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
    });
    fn.publish.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
        ],
        resources: [table.tableStreamArn!],
      }),
    );
    fn.publish.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [this.formatArn({ service: 'events', resource: 'event-bus', resourceName: eventBusName })],
      }),
    );
    fn.publish.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [publishFailures.queueArn] }),
    );
    new lambda.EventSourceMapping(this, 'AuditTrail', {
      target: fn.publish,
      eventSourceArn: table.tableStreamArn!,
      // Within the stream's 24 hours, from the oldest record: nothing written before the first
      // deploy of this function is skipped.
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(1),
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.isEqual('INSERT'),
          dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith('EVENTS#') } } },
        }),
      ],
      reportBatchItemFailures: true,
      retryAttempts: 100,
      maxRecordAge: Duration.days(1),
      // The grant is the statement above (SqsDlq would add queue reads the function never makes).
      onFailure: { bind: () => ({ destination: publishFailures.queueArn }) },
    });

    // ------------------------------------------------------------ alarms
    // The alarm topic is encrypted under a key of its own: SNS's AWS-managed key would shut
    // CloudWatch out (its policy cannot be changed), this one lets CloudWatch encrypt what its
    // alarms publish, and nothing else but the account's administrators.
    const alarmTopicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: "Encrypts the alarm topic's notifications",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    alarmTopicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    const alarmTopic = new sns.Topic(this, 'AlarmTopic', { masterKey: alarmTopicKey });
    // The topic's policy replaces SNS's default one: it must let CloudWatch publish, and lets
    // only this account's alarms.
    alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [alarmTopic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': this.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
          StringEquals: { 'aws:SourceAccount': this.account },
        },
      }),
    );
    if (props.alarmEmail) {
      alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    const notify = new actions.SnsAction(alarmTopic);
    const all = Object.entries(fn) as [FunctionName, RustFunction][];
    const summed = (metric: 'Errors' | 'Throttles') =>
      new cloudwatch.MathExpression({
        expression: `SUM([${all.map(([name]) => name).join(', ')}])`,
        usingMetrics: Object.fromEntries(
          all.map(([name, f]) => [name, f.metric(metric, { statistic: 'Sum', period: Duration.minutes(5) })]),
        ),
        period: Duration.minutes(5),
      });
    const alarm = (id: string, description: string, metric: cloudwatch.IMetric) =>
      new cloudwatch.Alarm(this, id, {
        alarmDescription: description,
        metric,
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(notify);
    alarm('FunctionErrorsAlarm', 'A function failed (Errors > 0 in 5 minutes)', summed('Errors'));
    alarm('FunctionThrottlesAlarm', 'A function was throttled (Throttles > 0 in 5 minutes)', summed('Throttles'));
    alarm(
      'RemindEventsDroppedAlarm',
      'A reminder tick was dropped (AsyncEventsDropped > 0)',
      fn.remind.metric('AsyncEventsDropped', { statistic: 'Sum', period: Duration.minutes(5) }),
    );
    alarm(
      'RemindDeadLettersAlarm',
      'A reminder tick could not be delivered by EventBridge Scheduler (dead-letter queue not empty)',
      tickDeadLetters.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
    );
    alarm(
      'FeedbackDeadLettersAlarm',
      'An SES bounce or complaint event could not be delivered to the feedback function (dead-letter queue not empty)',
      feedbackDeadLetters.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
    );
    alarm(
      'PublishFailuresAlarm',
      "Audit events were not published to EventBridge after every retry (the failure queue is not empty)",
      publishFailures.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
    );
    new cloudwatch.Alarm(this, 'PublishBehindAlarm', {
      alarmDescription: "The audit trail's publisher is more than an hour behind the table's stream",
      metric: fn.publish.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(5) }),
      threshold: 3600000,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(notify);
    alarm(
      'EmailsDeadLettersAlarm',
      "Emails were not handed to SES after every attempt (the emails' dead-letter queue is not empty)",
      emailsDeadLetters.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
    );
    // An email waiting longer than an hour: the sender is failing, or the sending rate is too
    // low for the day's volume (at 14 a second, an hour is 50,000 emails).
    new cloudwatch.Alarm(this, 'EmailsBehindAlarm', {
      alarmDescription: 'The emails queue is more than an hour behind (its oldest email has waited over an hour)',
      metric: emailsQueue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: Duration.minutes(5) }),
      threshold: 3600,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(notify);
    alarm(
      'RetryDeadLettersAlarm',
      'A delivery-retry tick could not be delivered by EventBridge Scheduler (dead-letter queue not empty)',
      retryDeadLetters.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
    );

    // The configuration set's reputation, as SES measures it (reputation metrics are enabled
    // on it): SES reviews an account from a 5% bounce rate or a 0.1% complaint rate.
    const reputation = (id: string, description: string, metricName: string, threshold: number) =>
      new cloudwatch.Alarm(this, id, {
        alarmDescription: description,
        metric: new cloudwatch.Metric({
          namespace: 'AWS/SES',
          metricName,
          dimensionsMap: { 'ses:configuration-set': configurationSet.configurationSetName },
          statistic: 'Maximum',
          period: Duration.hours(1),
        }),
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(notify);
    reputation(
      'BounceRateAlarm',
      "The configuration set's bounce rate reached 5%, where SES reviews the account",
      'Reputation.BounceRate',
      0.05,
    );
    reputation(
      'ComplaintRateAlarm',
      "The configuration set's complaint rate reached 0.1%, where SES reviews the account",
      'Reputation.ComplaintRate',
      0.001,
    );

    // ------------------------------------------------------------ dashboard
    // The invitation funnel, delivery, the emails queue, SES reputation and each function's
    // health on one page: lib/dashboard.ts, the same body as the SAM template's.
    new cloudwatch.CfnDashboard(this, 'Dashboard', {
      dashboardBody: Fn.sub(dashboardBody(), {
        ...Object.fromEntries(all.map(([name, f]) => [functionPlaceholder(name), f.functionName])),
        EmailsQueueName: emailsQueue.queueName,
        EmailsDeadLettersName: emailsDeadLetters.queueName,
        ConfigurationSet: configurationSet.configurationSetName,
      }),
    });

    // ------------------------------------------------------------ the template scan
    // Every checkov finding not fixed above is a choice, answered next to its resource.
    answerTheScan(this, (cfn) => all.find(([, f]) => f.node.defaultChild === cfn)?.[0]);

    // ------------------------------------------------------------ outputs
    new CfnOutput(this, 'ApiUrl', { description: "The HTTP API's base URL", value: api.apiEndpoint });
    new CfnOutput(this, 'AppBaseUrl', {
      description: 'Where accept links and the sign-in callback point',
      value: appBaseUrl,
    });
    new CfnOutput(this, 'JwtIssuerUrl', { value: issuer });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'SecretKeyArn', { value: secretKey.secretArn });
    new CfnOutput(this, 'ConfigurationSetName', { value: configurationSet.configurationSetName });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarmTopic.topicArn });
    new CfnOutput(this, 'EmailsQueueUrl', {
      description: 'The queue of due emails (its dead-letter queue holds those never handed to SES)',
      value: emailsQueue.queueUrl,
    });
  }
}

function capitalise(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
