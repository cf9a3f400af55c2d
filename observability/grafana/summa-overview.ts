/**
 * The summa overview dashboard, as code: panels are listed once here and the
 * JSON Grafana provisions (dashboards/summa-overview.json) is generated from it
 * by `make dashboards`; a unit test fails when the two differ. Every Prometheus
 * query here is also run against a real Prometheus by
 * test/integration/prometheus.test.ts, which fails on a query with no data.
 */

import { eventLoopResolutionMs } from '../../src/shared/metrics.ts'

export const datasources = {
  prometheus: { type: 'prometheus', uid: 'summa-prometheus' },
  loki: { type: 'loki', uid: 'summa-loki' },
  tempo: { type: 'tempo', uid: 'summa-tempo' },
} as const

interface Query {
  expr: string
  legend: string
}

interface PanelSpec {
  title: string
  kind: 'timeseries' | 'stat'
  unit: string
  queries: Query[]
  description?: string
}

const rate = (metric: string, by = ''): string =>
  `sum${by === '' ? '' : ` by (${by})`} (rate(${metric}[$__rate_interval]))`
const quantile = (q: number, metric: string, by = ''): string =>
  `histogram_quantile(${q}, sum by (le${by === '' ? '' : `, ${by}`}) (rate(${metric}_bucket[$__rate_interval])))`
const p50p99 = (metric: string, by = '', prefix = ''): Query[] => [
  {
    expr: quantile(0.5, metric, by),
    legend: `${prefix}p50${by === '' ? '' : ` {{${by.split(', ').at(-1)}}}`}`,
  },
  {
    expr: quantile(0.99, metric, by),
    legend: `${prefix}p99${by === '' ? '' : ` {{${by.split(', ').at(-1)}}}`}`,
  },
]

const rows: Array<{ title: string; panels: PanelSpec[] }> = [
  {
    title: 'Overview',
    panels: [
      {
        title: 'Running total',
        kind: 'stat',
        unit: 'short',
        description: 'As a float; the exact value is at GET /total.',
        queries: [{ expr: 'max(summa_total_value)', legend: 'total' }],
      },
      {
        title: 'Add rate',
        kind: 'timeseries',
        unit: 'reqps',
        queries: [{ expr: rate('summa_grpc_requests_total{method="Add"}'), legend: 'Add/s' }],
      },
      {
        title: 'Server-side error ratio (gRPC)',
        kind: 'timeseries',
        unit: 'percentunit',
        description: 'INTERNAL, UNAVAILABLE, DEADLINE_EXCEEDED, UNKNOWN over all calls (5 min).',
        queries: [{ expr: 'summa:grpc_error_ratio:rate5m', legend: 'gRPC' }],
      },
      {
        title: 'End-to-end latency (accepted → in the total)',
        kind: 'timeseries',
        unit: 's',
        queries: [
          { expr: quantile(0.5, 'summa_end_to_end_latency_seconds'), legend: 'p50' },
          { expr: 'summa:end_to_end_latency_seconds:p99_5m', legend: 'p99 (5 min)' },
        ],
      },
    ],
  },
  {
    title: 'gRPC and HTTP',
    panels: [
      {
        title: 'gRPC requests by method and code',
        kind: 'timeseries',
        unit: 'reqps',
        queries: [{ expr: rate('summa_grpc_requests_total', 'method, code'), legend: '{{method}} {{code}}' }],
      },
      {
        title: 'gRPC errors by code',
        kind: 'timeseries',
        unit: 'reqps',
        queries: [{ expr: rate('summa_grpc_requests_total{code!="OK"}', 'code'), legend: '{{code}}' }],
      },
      {
        title: 'gRPC duration by method',
        kind: 'timeseries',
        unit: 's',
        queries: p50p99('summa_grpc_request_duration_seconds', 'method'),
      },
      {
        title: 'gRPC calls in flight',
        kind: 'timeseries',
        unit: 'short',
        queries: [{ expr: 'sum by (method) (summa_grpc_requests_in_flight)', legend: '{{method}}' }],
      },
      {
        title: 'HTTP requests by route and code',
        kind: 'timeseries',
        unit: 'reqps',
        queries: [
          {
            expr: rate('summa_http_requests_total', 'service, route, code'),
            legend: '{{service}} {{route}} {{code}}',
          },
        ],
      },
      {
        title: 'HTTP duration p99 by route',
        kind: 'timeseries',
        unit: 's',
        queries: [
          {
            expr: quantile(0.99, 'summa_http_request_duration_seconds', 'service, route'),
            legend: '{{service}} {{route}}',
          },
        ],
      },
      {
        title: 'Idempotent replays',
        kind: 'timeseries',
        unit: 'reqps',
        queries: [{ expr: rate('summa_idempotent_replays_total'), legend: 'replays/s' }],
      },
      {
        title: 'Rejected input by reason',
        kind: 'timeseries',
        unit: 'reqps',
        queries: [{ expr: rate('summa_add_rejected_total', 'reason'), legend: '{{reason}}' }],
      },
      {
        title: 'Group commit rows per transaction',
        kind: 'timeseries',
        unit: 'short',
        queries: p50p99('summa_group_commit_rows'),
      },
      {
        title: 'PostgreSQL circuit breaker (0 closed, 1 half-open, 2 open)',
        kind: 'timeseries',
        unit: 'short',
        queries: [
          {
            expr: 'max by (instance) (summa_circuit_breaker_state{breaker="postgres"})',
            legend: '{{instance}}',
          },
        ],
      },
    ],
  },
  {
    title: 'Outbox and relay',
    panels: [
      {
        title: 'Outbox pending events',
        kind: 'timeseries',
        unit: 'short',
        queries: [{ expr: 'max(summa_outbox_pending_events)', legend: 'pending' }],
      },
      {
        title: 'Oldest pending outbox event',
        kind: 'timeseries',
        unit: 's',
        queries: [{ expr: 'max(summa_outbox_oldest_pending_age_seconds)', legend: 'age' }],
      },
      {
        title: 'Relay batch size',
        kind: 'timeseries',
        unit: 'short',
        queries: p50p99('summa_relay_batch_events'),
      },
      {
        title: 'Relay publish latency (claim → broker ack)',
        kind: 'timeseries',
        unit: 's',
        queries: p50p99('summa_relay_publish_duration_seconds'),
      },
      {
        title: 'Relay published events and publish errors',
        kind: 'timeseries',
        unit: 'ops',
        queries: [
          { expr: rate('summa_relay_published_events_total'), legend: 'published/s' },
          { expr: rate('summa_relay_publish_errors_total'), legend: 'failed passes/s' },
        ],
      },
    ],
  },
  {
    title: 'Consumer (aggregator)',
    panels: [
      {
        title: 'Consumer lag by partition (records)',
        kind: 'timeseries',
        unit: 'short',
        queries: [{ expr: 'summa:consumer_lag_offsets:max', legend: 'partition {{partition}}' }],
      },
      {
        title: 'Consumer lag by partition (seconds, upper bound)',
        kind: 'timeseries',
        unit: 's',
        queries: [
          { expr: 'max by (partition) (summa_consumer_lag_seconds)', legend: 'partition {{partition}}' },
        ],
      },
      {
        title: 'Consumer batch size',
        kind: 'timeseries',
        unit: 'short',
        queries: p50p99('summa_consumer_batch_records'),
      },
      {
        title: 'Apply latency (one batch, commit included)',
        kind: 'timeseries',
        unit: 's',
        queries: p50p99('summa_consumer_apply_duration_seconds'),
      },
      {
        title: 'Applied events and dead letters',
        kind: 'timeseries',
        unit: 'ops',
        queries: [
          { expr: rate('summa_consumer_applied_events_total'), legend: 'applied/s' },
          { expr: rate('summa_dead_letters_total'), legend: 'dead letters/s' },
        ],
      },
      {
        title: 'Dead letters (total)',
        kind: 'stat',
        unit: 'short',
        queries: [{ expr: 'sum(summa_dead_letters_total)', legend: 'dead letters' }],
      },
    ],
  },
  {
    title: 'Runtime (Node.js)',
    panels: [
      {
        title: 'Services up',
        kind: 'timeseries',
        unit: 'short',
        queries: [{ expr: 'up{job=~"summa-.*"}', legend: '{{job}} {{instance}}' }],
      },
      {
        title: 'CPU',
        kind: 'timeseries',
        unit: 'percentunit',
        queries: [{ expr: rate('process_cpu_seconds_total', 'service'), legend: '{{service}}' }],
      },
      {
        title: 'Heap used',
        kind: 'timeseries',
        unit: 'bytes',
        queries: [{ expr: 'sum by (service) (nodejs_heap_size_used_bytes)', legend: '{{service}}' }],
      },
      {
        title: 'Event-loop lag p99',
        kind: 'timeseries',
        unit: 's',
        description: `Node's gauge minus its ${eventLoopResolutionMs} ms sampling interval, which an idle loop reads too.`,
        queries: [
          {
            expr: `clamp_min(max by (service) (nodejs_eventloop_lag_p99_seconds) - ${eventLoopResolutionMs / 1000}, 0)`,
            legend: '{{service}}',
          },
        ],
      },
      {
        title: 'GC time',
        kind: 'timeseries',
        unit: 'percentunit',
        queries: [
          { expr: rate('nodejs_gc_duration_seconds_sum', 'service, kind'), legend: '{{service}} {{kind}}' },
        ],
      },
    ],
  },
]

const width = 6
const height = 7

/** The dashboard JSON, deterministic so the committed file can be compared. */
export function buildDashboard(): Record<string, unknown> {
  const panels: Array<Record<string, unknown>> = []
  let id = 1
  let y = 0
  for (const row of rows) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
    })
    y += 1
    row.panels.forEach((panel, index) => {
      panels.push({
        id: id++,
        type: panel.kind,
        title: panel.title,
        ...(panel.description === undefined ? {} : { description: panel.description }),
        datasource: datasources.prometheus,
        gridPos: { h: height, w: width, x: (index % 4) * width, y: y + Math.floor(index / 4) * height },
        fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
        options:
          panel.kind === 'stat'
            ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value' }
            : {
                legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
                tooltip: { mode: 'multi' },
              },
        targets: panel.queries.map((query, n) => ({
          refId: String.fromCharCode(65 + n),
          datasource: datasources.prometheus,
          expr: query.expr,
          legendFormat: query.legend,
        })),
      })
    })
    y += Math.ceil(row.panels.length / 4) * height
  }
  panels.push({
    id: id++,
    type: 'row',
    title: 'Logs (Loki)',
    collapsed: false,
    gridPos: { h: 1, w: 24, x: 0, y },
  })
  panels.push({
    id: id++,
    type: 'logs',
    title: 'summa logs',
    description: 'JSON lines of every service, shipped with a `service` label; trace_id links to Tempo.',
    datasource: datasources.loki,
    gridPos: { h: 10, w: 24, x: 0, y: y + 1 },
    options: { showTime: true, wrapLogMessage: true, sortOrder: 'Descending', enableLogDetails: true },
    targets: [
      { refId: 'A', datasource: datasources.loki, expr: '{service=~"calculator|relay|aggregator"} | json' },
    ],
  })
  return {
    uid: 'summa-overview',
    title: 'summa overview',
    tags: ['summa'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: '10s',
    time: { from: 'now-30m', to: 'now' },
    templating: { list: [] },
    annotations: { list: [] },
    panels,
  }
}

/** Every Prometheus query of the dashboard, with the panel it belongs to. */
export function prometheusQueries(dashboard = buildDashboard()): Array<{ panel: string; expr: string }> {
  const panels = dashboard.panels as Array<{
    title: string
    targets?: Array<{ datasource: { uid: string }; expr: string }>
  }>
  return panels.flatMap((panel) =>
    (panel.targets ?? [])
      .filter((target) => target.datasource.uid === datasources.prometheus.uid)
      .map((target) => ({ panel: panel.title, expr: target.expr })),
  )
}
