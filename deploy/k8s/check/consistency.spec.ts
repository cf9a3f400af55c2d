import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CodeFacts } from './code-facts.ts'
import { consistencyProblems } from './consistency.ts'
import type { KubeObject } from './schema-check.ts'

const facts: CodeFacts = {
  version: '1.2.3',
  configKeys: [
    'DATABASE_URL',
    'KAFKA_BOOTSTRAP_SERVERS',
    'SUMMA_HTTP_PORT',
    'SUMMA_DATA_DIR',
    'SUMMA_SHUTDOWN_TIMEOUT_MS',
  ],
  listeners: { aggregator: { http: 'SUMMA_HTTP_PORT' }, migrate: {} },
  commands: ['aggregator', 'migrate'],
  kafkaClients: ['aggregator', 'migrate'],
  opsRoutes: ['/health', '/health/live', '/metrics'],
  grpcHealthServices: ['', 'summa.v1.CalculatorService'],
  nodeFlags: ['--max-semi-space-size=4'],
  kafkaVersion: '4.1.2',
  prometheusJobs: ['summa-aggregator'],
  dockerfile: {
    uid: 10001,
    exposed: [8080],
    env: { SUMMA_DATA_DIR: '/var/lib/summa' },
    entrypoint: 'ENTRYPOINT ["node", "--max-semi-space-size=4", "summa.js"]',
  },
}

/** A small render that is consistent: one aggregator, its Service, Kafka and PostgreSQL Services. */
function render(): KubeObject[] {
  const labels = { app: 'summa', 'app.kubernetes.io/component': 'aggregator' }
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'agg' },
      spec: {
        strategy: { rollingUpdate: { maxUnavailable: 0 } },
        template: {
          metadata: {
            labels,
            annotations: {
              'prometheus.io/scrape': 'true',
              'prometheus.io/port': '8080',
              'prometheus.io/path': '/metrics',
            },
          },
          spec: {
            terminationGracePeriodSeconds: 20,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 10001,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'aggregator',
                image: 'registry.example/summa:1.2.3',
                args: ['aggregator'],
                envFrom: [{ configMapRef: { name: 'config' } }],
                env: [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'db', key: 'uri' } } }],
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/health', port: 'http' } },
                livenessProbe: { httpGet: { path: '/health/live', port: 8080 } },
                lifecycle: { preStop: { sleep: { seconds: 5 } } },
                securityContext: {
                  readOnlyRootFilesystem: true,
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [
                  { name: 'data', mountPath: '/var/lib/summa' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'config' },
      data: {
        KAFKA_BOOTSTRAP_SERVERS: 'kafka:9092',
        SUMMA_DATA_DIR: '/var/lib/summa',
        SUMMA_SHUTDOWN_TIMEOUT_MS: '10000',
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db' },
      data: { uri: Buffer.from('postgres://u:p@pg:5432/summa').toString('base64') },
    },
    service('kafka', { app: 'kafka' }, 9092),
    service('pg', { app: 'pg' }, 5432),
    service('summa-aggregator', labels, 'http'),
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'brokers' },
      spec: {
        template: {
          metadata: { labels: { app: 'kafka' } },
          spec: {
            containers: [{ name: 'k', image: 'apache/kafka:4.1.2', ports: [{ containerPort: 9092 }] }],
          },
        },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'pg' },
      spec: {
        template: {
          metadata: { labels: { app: 'pg' } },
          spec: { containers: [{ name: 'p', image: 'postgres:17', ports: [{ containerPort: 5432 }] }] },
        },
      },
    },
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: { name: 'summa' },
      spec: {
        selector: { matchLabels: { app: 'summa' } },
        podMetricsEndpoints: [
          { port: 'http', path: '/metrics', relabelings: [{ targetLabel: 'job', replacement: 'summa-$1' }] },
        ],
      },
    },
  ]
}

function service(name: string, selector: Record<string, string>, targetPort: number | string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { selector, ports: [{ port: 1, targetPort }] },
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the cases reach into any nested field to break it
type Json = Record<string, any>
/** The render with one change made to the aggregator's container (or anything else). */
function broken(change: (objects: Json[], container: Json, pod: Json) => void): KubeObject[] {
  const objects = render() as Json[]
  const pod = objects[0]!.spec.template
  change(objects, pod.spec.containers[0], pod)
  return objects as KubeObject[]
}

test('a consistent render has no problems', () => {
  assert.deepEqual(consistencyProblems(render(), facts), [])
})

const cases: Array<[string, (objects: Json[], container: Json, pod: Json) => void, RegExp]> = [
  [
    'probe path summa does not serve',
    (_, c) => (c.readinessProbe.httpGet.path = '/healthz'),
    /readinessProbe path \/healthz is no route/,
  ],
  [
    'probe on the wrong port',
    (_, c) => (c.livenessProbe.httpGet.port = 8081),
    /livenessProbe port 8081 is not/,
  ],
  [
    'probe on an unknown port name',
    (_, c) => (c.readinessProbe.httpGet.port = 'ops'),
    /readinessProbe port ops is not/,
  ],
  [
    'gRPC probe on a service summa does not register',
    (_, c) => (c.readinessProbe = { grpc: { port: 8080, service: 'x' } }),
    /does not register/,
  ],
  [
    'environment variable summa does not read',
    (_, c) => c.env.push({ name: 'SUMMA_HTTP_PROT', value: '1' }),
    /SUMMA_HTTP_PROT is not a summa setting/,
  ],
  [
    'ConfigMap key summa does not read',
    (o) => (o[1]!.data.SUMMA_TOPICS = 'x'),
    /SUMMA_TOPICS \(from config\) is not a summa setting/,
  ],
  [
    'setting summa refuses',
    (o) => (o[1]!.data.SUMMA_SHUTDOWN_TIMEOUT_MS = 'soon'),
    /invalid configuration: SUMMA_SHUTDOWN_TIMEOUT_MS/,
  ],
  [
    'Secret that nothing provides',
    (_, c) => (c.env[0].valueFrom.secretKeyRef.name = 'missing'),
    /refers to missing\/uri, which nothing provides/,
  ],
  [
    'container port summa does not listen on',
    (_, c) => c.ports.push({ name: 'x', containerPort: 9999 }),
    /containerPorts 8080,9999/,
  ],
  [
    'metrics annotation on the wrong port',
    (_, _c, p) => (p.metadata.annotations['prometheus.io/port'] = '9090'),
    /prometheus.io\/port 9090/,
  ],
  [
    'metrics annotation on the wrong path',
    (_, _c, p) => (p.metadata.annotations['prometheus.io/path'] = '/metric'),
    /prometheus.io\/path \/metric/,
  ],
  [
    'PodMonitor path summa does not serve',
    (o) => (o[8]!.spec.podMetricsEndpoints[0].path = '/prometheus'),
    /path \/prometheus is no route/,
  ],
  [
    'PodMonitor port the pod does not have',
    (o) => (o[8]!.spec.podMetricsEndpoints[0].port = 'metrics'),
    /on 0 endpoints/,
  ],
  [
    'PodMonitor job the alert rules do not know',
    (o) => (o[8]!.spec.podMetricsEndpoints[0].relabelings[0].replacement = '$1'),
    /job aggregator .* none of the rules' jobs/,
  ],
  ['image of another version', (_, c) => (c.image = 'summa:latest'), /expected summa:1.2.3/],
  ['command summa does not have', (_, c) => (c.args = ['aggregate']), /is no summa command/],
  [
    'user other than the image',
    (_, _c, p) => (p.spec.securityContext.runAsUser = 1000),
    /runAsUser 1000, but the image's user is 10001/,
  ],
  ['writable root filesystem', (_, c) => (c.securityContext.readOnlyRootFilesystem = false), /not read-only/],
  ['capabilities kept', (_, c) => (c.securityContext.capabilities = {}), /not all dropped/],
  [
    'data directory not mounted',
    (_, c) => c.volumeMounts.shift(),
    /\/var\/lib\/summa must be a writable volume/,
  ],
  [
    'port the image does not expose',
    (o, c) => {
      c.ports[0].containerPort = 8090
      o[1]!.data.SUMMA_HTTP_PORT = '8090'
    },
    /port 8090 is not EXPOSEd/,
  ],
  [
    'grace shorter than preStop and drain',
    (_, _c, p) => (p.spec.terminationGracePeriodSeconds = 10),
    /terminationGracePeriodSeconds 10 < preStop 5 s/,
  ],
  [
    'rollout that may stop a pod first',
    (o) => (o[0]!.spec.strategy.rollingUpdate.maxUnavailable = 1),
    /maxUnavailable must be 0/,
  ],
  [
    'Kafka address no Service answers',
    (o) => (o[1]!.data.KAFKA_BOOTSTRAP_SERVERS = 'broker:9092'),
    /no Service broker/,
  ],
  [
    'dev broker of another Kafka version',
    (o) => (o[6]!.spec.template.spec.containers[0].image = 'apache/kafka:3.9.0'),
    /Kafka 4.1.2/,
  ],
  [
    'Service that selects no pod',
    (o) => (o[5]!.spec.selector = { app: 'nothing' }),
    /Service\/summa-aggregator: selects no pod/,
  ],
  [
    "second workload whose selector takes the first one's pods",
    (o) => {
      const copy = structuredClone(o[0]!)
      copy.metadata.name = 'copy'
      copy.spec.selector = { matchLabels: { app: 'summa' } }
      o.push(copy)
    },
    /Deployment\/copy: its selector also selects the pods of Deployment\/agg/,
  ],
  [
    'Service on a port the pods do not have',
    (o) => (o[5]!.spec.ports[0].targetPort = 'grpc'),
    /targetPort grpc is no port/,
  ],
]

for (const [what, change, expected] of cases) {
  test(`finds a ${what}`, () => {
    const problems = consistencyProblems(broken(change), facts)
    assert.ok(
      problems.some((p) => expected.test(p)),
      `expected ${expected} in:\n${problems.join('\n')}`,
    )
  })
}

test('a Secret made by CloudNativePG and a Strimzi bootstrap Service count as provided', () => {
  const objects = broken((o, c) => {
    c.env[0].valueFrom.secretKeyRef.name = 'summa-db-app'
    o[1]!.data.KAFKA_BOOTSTRAP_SERVERS = 'summa-kafka-bootstrap:9092'
    o.push({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'summa-db' } })
    o.push({ apiVersion: 'kafka.strimzi.io/v1', kind: 'Kafka', metadata: { name: 'summa' } })
  })
  assert.deepEqual(consistencyProblems(objects, facts), [])
})
