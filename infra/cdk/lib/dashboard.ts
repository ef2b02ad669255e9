// The operations dashboard's body, the same text in both templates: infra/template.yaml holds
// a copy of `dashboardBody()` (a CDK test checks the copy), with the same `${…}` placeholders,
// which each template's Fn::Sub fills in.
//
// The business metrics are the functions' EMF lines, in the `WorkgroupInvitations` namespace
// with one dimension, `Function`: a metric that several functions emit is summed across them
// with SEARCH, so every name appears as `MetricName="<Name>"`.

export const NAMESPACE = 'WorkgroupInvitations';

/** Every business metric the dashboard shows. */
export const BUSINESS_METRICS = [
  'InvitationsSent',
  'InvitationsResent',
  'InvitationsAccepted',
  'InvitationsDeclined',
  'InvitationsCancelled',
  'InvitationsExpired',
  'RemindersSent',
  'EmailsQueued',
  'EmailsHandedOver',
  'EmailsFailed',
  'EmailsBounced',
  'EmailsComplained',
  'TimeToAcceptance',
  'DeliveryLag',
  'SweepDuration',
  'SweepItems',
] as const;

/** The functions, by their short names, and the placeholder of each one's name. */
export const FUNCTIONS = ['workgroups', 'invite', 'list', 'manage', 'accept', 'remind', 'send', 'feedback', 'publish'] as const;
export const functionPlaceholder = (name: string) => `${name.charAt(0).toUpperCase()}${name.slice(1)}Function`;

const DAY = 86400;
const FIVE_MINUTES = 300;

function search(metric: (typeof BUSINESS_METRICS)[number], stat: string, period: number, combine = 'SUM') {
  return `${combine}(SEARCH('{${NAMESPACE},Function} MetricName="${metric}"', '${stat}', ${period}))`;
}

function expressions(period: number, stat: string, items: [(typeof BUSINESS_METRICS)[number], string][], combine = 'SUM') {
  return items.map(([metric, label], i) => [
    { expression: search(metric, stat, period, combine), label, id: `m${i}` },
  ]);
}

function widget(x: number, y: number, title: string, properties: Record<string, unknown>) {
  return {
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region: '${AWS::Region}', view: 'timeSeries', stacked: false, ...properties },
  };
}

function perFunction(metric: string, stat: string) {
  return FUNCTIONS.map((name) => [
    'AWS/Lambda',
    metric,
    'FunctionName',
    `\${${functionPlaceholder(name)}}`,
    { label: name, stat },
  ]);
}

/** The body, with `${AWS::Region}`, `${<Name>Function}`, `${EmailsQueueName}`,
 * `${EmailsDeadLettersName}` and `${ConfigurationSet}` to fill in. */
export function dashboardBody(): string {
  const widgets = [
    widget(0, 0, 'Invitations per day', {
      period: DAY,
      metrics: expressions(DAY, 'Sum', [
        ['InvitationsSent', 'sent'],
        ['InvitationsResent', 'resent'],
        ['InvitationsAccepted', 'accepted'],
        ['InvitationsDeclined', 'declined'],
        ['InvitationsExpired', 'expired'],
        ['InvitationsCancelled', 'cancelled'],
        ['RemindersSent', 'reminders sent'],
      ]),
    }),
    widget(12, 0, 'Email delivery', {
      period: FIVE_MINUTES,
      metrics: expressions(FIVE_MINUTES, 'Sum', [
        ['EmailsQueued', 'queued'],
        ['EmailsHandedOver', 'handed over'],
        ['EmailsFailed', 'failed'],
        ['EmailsBounced', 'bounced'],
        ['EmailsComplained', 'complained'],
      ]),
    }),
    widget(0, 6, 'Time to acceptance (seconds) and delivery lag (milliseconds)', {
      period: DAY,
      metrics: [
        ...expressions(DAY, 'Average', [['TimeToAcceptance', 'time to acceptance, average (s)']], 'AVG'),
        ...expressions(FIVE_MINUTES, 'Maximum', [['DeliveryLag', 'delivery lag, maximum (ms)']], 'MAX').map(([m]) => [
          { ...m, id: 'm1', yAxis: 'right' },
        ]),
      ],
    }),
    widget(12, 6, 'Sweeps', {
      period: FIVE_MINUTES,
      metrics: [
        ...expressions(FIVE_MINUTES, 'Maximum', [['SweepDuration', 'duration, maximum (ms)']], 'MAX'),
        ...expressions(FIVE_MINUTES, 'Sum', [['SweepItems', 'items']]).map(([m]) => [{ ...m, id: 'm1', yAxis: 'right' }]),
      ],
    }),
    widget(0, 12, 'Emails queue: depth and age', {
      period: FIVE_MINUTES,
      metrics: [
        ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', '${EmailsQueueName}', { label: 'waiting', stat: 'Maximum' }],
        ['AWS/SQS', 'ApproximateNumberOfMessagesNotVisible', 'QueueName', '${EmailsQueueName}', { label: 'in flight', stat: 'Maximum' }],
        ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', '${EmailsDeadLettersName}', { label: 'dead letters', stat: 'Maximum' }],
        ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', '${EmailsQueueName}', { label: 'oldest (s)', stat: 'Maximum', yAxis: 'right' }],
      ],
    }),
    widget(12, 12, 'SES reputation of the configuration set', {
      period: 3600,
      metrics: [
        ['AWS/SES', 'Reputation.BounceRate', 'ses:configuration-set', '${ConfigurationSet}', { label: 'bounce rate', stat: 'Maximum' }],
        ['AWS/SES', 'Reputation.ComplaintRate', 'ses:configuration-set', '${ConfigurationSet}', { label: 'complaint rate', stat: 'Maximum' }],
      ],
      annotations: {
        horizontal: [
          { label: 'bounce alarm (5%)', value: 0.05 },
          { label: 'complaint alarm (0.1%)', value: 0.001 },
        ],
      },
    }),
    widget(0, 18, 'Function errors', { period: FIVE_MINUTES, metrics: perFunction('Errors', 'Sum') }),
    widget(12, 18, 'Function throttles', { period: FIVE_MINUTES, metrics: perFunction('Throttles', 'Sum') }),
    widget(0, 24, 'Function duration, p99 (ms)', { period: FIVE_MINUTES, metrics: perFunction('Duration', 'p99') }),
  ];
  return JSON.stringify({ widgets }, null, 1);
}
