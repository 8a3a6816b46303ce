import { Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { CallOutcome } from '../../../shared/audit/audit.js';

export const OBSERVABILITY_DEFAULTS = {
  /** API requests answered 5xx, in percent of all requests, over 5 minutes. */
  serverErrorRatePercent: 5,
  /** p99 API latency (what clients see), in ms, over 5 minutes. */
  p99LatencyMs: 5_000,
} as const;

/** Every outcome an audit line can carry (shared/audit/audit.ts); the record makes the compiler keep them in step. */
const CALL_OUTCOMES = Object.keys({
  success: true,
  tool_error: true,
  timeout: true,
  invalid_arguments: true,
  missing_capability: true,
  denied: true,
  unknown_tool: true,
  rate_limited: true,
  replayed: true,
  idempotency_refused: true,
  input_required: true,
} satisfies Record<CallOutcome, true>) as CallOutcome[];

export interface McpObservabilityProps {
  /** Names the dashboard and the custom metric namespace (`McpCluster/<stage>`). */
  stage: string;
  api: apigateway.RestApi;
  fn: lambda.Function;
  /** The admin API's function (tenant administration): its failures alarm too. */
  adminFn?: lambda.Function;
  /** The MCP function's log group: one JSON line per tools/call (`{"message":"tool call","audit":{...}}`). */
  functionLogGroup: logs.ILogGroup;
  /** Tables to watch for throttling, by display name. */
  tables: Record<string, dynamodb.ITable>;
  /** The audit ingester's queues: records waiting for the audit table, and those that failed every retry. */
  auditQueues?: { retry: sqs.IQueue; deadLetter: sqs.IQueue };
  /** Alarm notifications go to a new topic with this email subscribed. */
  alarmEmail?: string;
  /** ...or to this existing topic. */
  alarmTopicArn?: string;
  /** @default 5 (%) */
  serverErrorRatePercent?: number;
  /** @default 5000 (ms) */
  p99LatencyMs?: number;
}

/**
 * Alarms (API 5xx rate, function errors and throttles, p99 latency, DynamoDB throttles per table), per-tool metrics
 * from the function's audit log lines, and one dashboard. Per-tool numbers come from Logs Insights rather than
 * metric dimensions: tool names in unknown_tool records are chosen by callers, and a metric filter dimension with
 * unbounded values would be disabled by CloudWatch (and billed per value).
 */
export class McpObservability extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarmTopic?: sns.ITopic;
  readonly metricNamespace: string;

  constructor(scope: Construct, id: string, props: McpObservabilityProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const stage = props.api.deploymentStage;
    this.metricNamespace = `McpCluster/${props.stage}`;

    if (props.alarmTopicArn) {
      this.alarmTopic = sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
    } else if (props.alarmEmail) {
      const topic = new sns.Topic(this, 'AlarmTopic', {
        displayName: `mcp-cluster ${props.stage} alarms`,
        enforceSSL: true,
      });
      topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
      Validations.of(topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'Alarm notifications carry alarm names and states only. CloudWatch cannot publish to a topic encrypted ' +
          'with the AWS-managed SNS key, and a customer-managed key for this alone costs more than the topic.',
      });
      this.alarmTopic = topic;
    }

    // Per-call metrics from the audit lines.
    const toolCallFilter = logs.FilterPattern.stringValue('$.message', '=', 'tool call');
    new logs.MetricFilter(this, 'ToolCallsByOutcome', {
      logGroup: props.functionLogGroup,
      filterPattern: toolCallFilter,
      metricNamespace: this.metricNamespace,
      metricName: 'ToolCalls',
      metricValue: '1',
      dimensions: { Outcome: '$.audit.outcome' },
      unit: cloudwatch.Unit.COUNT,
    });
    new logs.MetricFilter(this, 'ToolLatency', {
      logGroup: props.functionLogGroup,
      filterPattern: toolCallFilter,
      metricNamespace: this.metricNamespace,
      metricName: 'ToolLatency',
      metricValue: '$.audit.latencyMs',
      unit: cloudwatch.Unit.MILLISECONDS,
    });
    const toolCalls = (outcome: CallOutcome) =>
      new cloudwatch.Metric({
        namespace: this.metricNamespace,
        metricName: 'ToolCalls',
        dimensionsMap: { Outcome: outcome },
        statistic: cloudwatch.Stats.SUM,
        period,
        label: outcome,
      });

    // API
    const requests = stage.metricCount({ period, statistic: cloudwatch.Stats.SUM, label: 'requests' });
    const clientErrors = stage.metricClientError({ period, statistic: cloudwatch.Stats.SUM, label: '4xx' });
    const serverErrors = stage.metricServerError({ period, statistic: cloudwatch.Stats.SUM, label: '5xx' });
    const latency = (stat: string) => stage.metricLatency({ period, statistic: stat, label: `latency ${stat}` });
    const integrationLatencyP99 = stage.metricIntegrationLatency({
      period,
      statistic: cloudwatch.Stats.p(99),
      label: 'integration latency p99',
    });
    const serverErrorRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { requests, errors: serverErrors },
      period,
      label: '5xx rate (%)',
    });

    // Function
    const fnErrors = props.fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM });
    const fnThrottles = props.fn.metricThrottles({ period, statistic: cloudwatch.Stats.SUM });
    const fnInvocations = props.fn.metricInvocations({ period, statistic: cloudwatch.Stats.SUM });
    const fnDuration = (stat: string) =>
      props.fn.metricDuration({ period, statistic: stat, label: `duration ${stat}` });
    const fnConcurrency = props.fn.metric('ConcurrentExecutions', { period, statistic: cloudwatch.Stats.MAXIMUM });

    // Tables: read and write throttle events, summed.
    const tableThrottles = Object.entries(props.tables).map(([name, table]) => {
      const metric = (metricName: string) => table.metric(metricName, { period, statistic: cloudwatch.Stats.SUM });
      // Ids are unique per graph, and one graph shows every table.
      const id = name.toLowerCase().replace(/[^a-z0-9]/g, '');
      return {
        name,
        metric: new cloudwatch.MathExpression({
          expression: `FILL(${id}Reads, 0) + FILL(${id}Writes, 0)`,
          usingMetrics: {
            [`${id}Reads`]: metric('ReadThrottleEvents'),
            [`${id}Writes`]: metric('WriteThrottleEvents'),
          },
          period,
          label: `${name} throttled requests`,
        }),
      };
    });

    const alarm = (
      alarmId: string,
      description: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      options: Partial<cloudwatch.CreateAlarmOptions> = {},
    ) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        alarmDescription: description,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...options,
      });
      if (this.alarmTopic) {
        created.addAlarmAction(new actions.SnsAction(this.alarmTopic));
        created.addOkAction(new actions.SnsAction(this.alarmTopic));
      }
      this.alarms.push(created);
      return created;
    };

    const errorRatePercent = props.serverErrorRatePercent ?? OBSERVABILITY_DEFAULTS.serverErrorRatePercent;
    alarm(
      'Api5xxRate',
      `More than ${errorRatePercent}% of MCP requests answered 5xx in 2 of the last 3 five-minute periods.`,
      serverErrorRate,
      errorRatePercent,
      {
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
      },
    );
    const p99 = props.p99LatencyMs ?? OBSERVABILITY_DEFAULTS.p99LatencyMs;
    alarm(
      'ApiLatencyP99',
      `p99 latency of the MCP endpoint above ${p99} ms for 15 minutes.`,
      latency(cloudwatch.Stats.p(99)),
      p99,
      { comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, evaluationPeriods: 3 },
    );
    alarm(
      'FunctionErrors',
      'The MCP function failed (crash, timeout or out of memory); tool failures are isError results, not errors.',
      fnErrors,
      1,
    );
    alarm('FunctionThrottles', 'The MCP function was throttled (concurrency exhausted).', fnThrottles, 1);
    if (props.adminFn) {
      alarm(
        'AdminFunctionErrors',
        "The admin API's function failed (crash, timeout or out of memory); refused operations are 4xx answers, not errors.",
        props.adminFn.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
        1,
      );
    }
    for (const { name, metric } of tableThrottles) {
      alarm(
        `${name.replace(/[^A-Za-z0-9]/g, '')}TableThrottles`,
        `DynamoDB throttled requests on the ${name} table.`,
        metric,
        1,
      );
    }

    if (props.auditQueues) {
      alarm(
        'AuditRecordsWaiting',
        'Audit records have waited more than 15 minutes for the audit table (they are retried, not lost).',
        props.auditQueues.retry.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5) }),
        900,
      );
      alarm(
        'AuditRecordsDeadLettered',
        'Audit records failed every retry and wait in the dead-letter queue: fix the cause, then move them back to the retry queue.',
        props.auditQueues.deadLetter.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
        1,
      );
    }

    // Dashboard
    const logsQuery = (title: string, queryLines: string[], width = 12) =>
      new cloudwatch.LogQueryWidget({
        title,
        logGroupNames: [props.functionLogGroup.logGroupName],
        queryLines,
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        width,
        height: 8,
      });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `McpCluster-${props.stage}-${Aws.REGION}`,
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# mcp-cluster · ${props.stage}\nRequests, latency and errors of the MCP endpoint, per-tool calls from the audit lines, and throttling.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Requests, 4xx, 5xx',
        left: [requests, clientErrors, serverErrors],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Latency (ms)',
        left: [latency(cloudwatch.Stats.p(50)), latency(cloudwatch.Stats.p(99)), integrationLatencyP99],
        width: 8,
      }),
      new cloudwatch.GraphWidget({ title: '5xx rate (%)', left: [serverErrorRate], width: 8 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function invocations, errors, throttles',
        left: [fnInvocations, fnErrors, fnThrottles],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function duration (ms)',
        left: [fnDuration(cloudwatch.Stats.p(50)), fnDuration(cloudwatch.Stats.p(99))],
        width: 8,
      }),
      new cloudwatch.GraphWidget({ title: 'Concurrent executions', left: [fnConcurrency], width: 8 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Tool calls by outcome',
        left: CALL_OUTCOMES.map(toolCalls),
        stacked: true,
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Tool latency (ms)',
        left: [cloudwatch.Stats.p(50), cloudwatch.Stats.p(99)].map(
          (stat) =>
            new cloudwatch.Metric({
              namespace: this.metricNamespace,
              metricName: 'ToolLatency',
              statistic: stat,
              period,
              label: `tool latency ${stat}`,
            }),
        ),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      logsQuery('Calls and errors per tool', [
        'filter message = "tool call"',
        'fields audit.tool as tool, audit.outcome as outcome, audit.latencyMs as latencyMs',
        'stats count(*) as calls, pct(latencyMs, 99) as p99Ms by tool, outcome',
        'sort calls desc',
        'limit 100',
      ]),
      logsQuery('Failed tool calls (latest)', [
        'filter message = "tool call" and audit.outcome != "success"',
        'fields @timestamp, audit.tool, audit.outcome, audit.errorCode, audit.agentId, audit.requestId',
        'sort @timestamp desc',
        'limit 50',
      ]),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'DynamoDB throttled requests',
        left: tableThrottles.map(({ metric }) => metric),
        width: 12,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12 }),
    );
  }

  /** CloudWatch console link to the dashboard. */
  get dashboardUrl(): string {
    const region = Stack.of(this).region;
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.dashboard.dashboardName}`;
  }
}
