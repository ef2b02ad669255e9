// The deploy settings, each with exactly the values the SAM template's parameter of the same name
// (in UpperCamelCase) accepts: what the functions accept (shared/runtime/src/config.rs), or,
// for what they never read, what the service accepts. A test in the Rust workspace
// (tests/tests/infra/parameters.rs) checks both templates and the code against the same
// values. An empty count or day list means the function's default, as in SAM.

import type { InvitationsProps } from './stack';

export interface Parameter {
  /** The whole value must match (as CloudFormation's AllowedPattern). */
  readonly pattern?: RegExp;
  /** Or be one of these (as AllowedValues). */
  readonly allowed?: readonly string[];
  readonly maxLength?: number;
  /** What an absent value stands for; none for a setting that must be given. */
  readonly default?: string;
}

const count = (max: '1000' | '1000000'): RegExp =>
  max === '1000' ? /^([1-9][0-9]{0,2}|1000)?$/ : /^([1-9][0-9]{0,5}|1000000)?$/;
const schedule = /^(rate\(1 (minute|hour|day)\)|rate\([1-9][0-9]* (minutes|hours|days)\)|cron\([^()]+\))$/;

export const PARAMETERS = {
  appBaseUrl: {
    pattern: /^(https:\/\/[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)?$/,
    default: '',
  },
  senderAddress: {
    pattern:
      /^(?=[^@]{1,64}@)[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+(?![0-9]+$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    maxLength: 254,
  },
  senderName: { default: '' },
  senderIdentity: { allowed: ['domain', 'address', 'existing'], default: 'domain' },
  // Empty: the account's maximum send rate, which the send function asks SES for.
  sesMaxSendRate: { pattern: count('1000'), default: '' },
  jwtIssuer: { pattern: /^(https:\/\/[^\s]+)?$/, default: '' },
  jwtAudience: { pattern: /^[^\s]*$/, default: '' },
  authDomainPrefix: { pattern: /^((?!.*(aws|amazon|cognito))[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)?$/, default: '' },
  inviteMaxAddresses: { pattern: count('1000'), default: '50' },
  inviteDailyLimit: { pattern: count('1000000'), default: '200' },
  inviterDailyLimit: { pattern: count('1000000'), default: '500' },
  recipientDailyLimit: { pattern: count('1000000'), default: '5' },
  workgroupDailyLimit: { pattern: count('1000000'), default: '10' },
  pendingInvitationLimit: { pattern: count('1000000'), default: '1000' },
  eventBusName: { pattern: /^[A-Za-z0-9._\-/]{1,256}$/, default: 'default' },
  reminderDaysBefore: { pattern: /^(([1-9]|[12][0-9])(,([1-9]|[12][0-9]))*)?$/, default: '7,1' },
  reminderScheduleExpression: { pattern: schedule, default: 'rate(1 day)' },
  deliveryRetryScheduleExpression: { pattern: schedule, default: 'rate(10 minutes)' },
  alarmEmail: { pattern: /^([^@\s]+@[^@\s]+\.[^@\s]+)?$/, default: '' },
  logRetentionDays: {
    allowed: ['1', '3', '5', '7', '14', '30', '60', '90', '120', '150', '180', '365', '400', '545', '731', '1096', '1827', '2192', '2557', '2922', '3288', '3653'],
    default: '30',
  },
} satisfies Record<string, Parameter>;

export type ParameterName = keyof typeof PARAMETERS;

/** Why `value` is refused for `name`, or undefined when it is accepted. */
export function problem(name: ParameterName, value: string): string | undefined {
  const parameter: Parameter = PARAMETERS[name];
  if (parameter.maxLength !== undefined && value.length > parameter.maxLength) {
    return `${name} is longer than ${parameter.maxLength} characters`;
  }
  if (parameter.allowed && !parameter.allowed.includes(value)) {
    return `${name} must be one of ${parameter.allowed.join(', ')}`;
  }
  if (parameter.pattern && !parameter.pattern.test(value)) {
    return `${name} must match ${parameter.pattern.source}`;
  }
  return undefined;
}

/** Refuses the first setting out of its range, naming it. */
export function check(values: Partial<Record<ParameterName, string>>): void {
  for (const [name, value] of Object.entries(values) as [ParameterName, string | undefined][]) {
    if (value === undefined) continue;
    const why = problem(name, value);
    if (why) throw new Error(`${why} (got ${JSON.stringify(value)})`);
  }
}

/** The stack's settings from CDK context values (`cdk deploy -c senderAddress=...`), checked. */
export function propsFromContext(
  get: (name: string) => string | undefined,
): Omit<InvitationsProps, keyof import('aws-cdk-lib').StackProps> {
  const values = Object.fromEntries(
    (Object.keys(PARAMETERS) as ParameterName[]).map((name) => [name, get(name)]),
  ) as Partial<Record<ParameterName, string>>;
  if (!values.senderAddress) {
    throw new Error('missing context senderAddress: cdk deploy -c senderAddress=no-reply@example.com');
  }
  check(values);
  const number = (name: ParameterName) => (values[name] ? Number(values[name]) : undefined);
  return {
    appBaseUrl: values.appBaseUrl || undefined,
    senderAddress: values.senderAddress,
    senderName: values.senderName || undefined,
    senderIdentity: values.senderIdentity as InvitationsProps['senderIdentity'],
    sesMaxSendRate: number('sesMaxSendRate'),
    jwtIssuer: values.jwtIssuer || undefined,
    jwtAudience: values.jwtAudience || undefined,
    authDomainPrefix: values.authDomainPrefix || undefined,
    inviteMaxAddresses: number('inviteMaxAddresses'),
    inviteDailyLimit: number('inviteDailyLimit'),
    inviterDailyLimit: number('inviterDailyLimit'),
    recipientDailyLimit: number('recipientDailyLimit'),
    workgroupDailyLimit: number('workgroupDailyLimit'),
    pendingInvitationLimit: number('pendingInvitationLimit'),
    eventBusName: values.eventBusName || undefined,
    reminderDaysBefore: values.reminderDaysBefore || undefined,
    reminderScheduleExpression: values.reminderScheduleExpression || undefined,
    deliveryRetryScheduleExpression: values.deliveryRetryScheduleExpression || undefined,
    alarmEmail: values.alarmEmail || undefined,
    logRetentionDays: number('logRetentionDays'),
  };
}
