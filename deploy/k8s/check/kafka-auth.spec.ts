import assert from 'node:assert/strict'
import { test } from 'node:test'
import { configKeys } from '../../../src/shared/config.ts'
import type { CodeFacts } from './code-facts.ts'
import { kafkaAuthProblems } from './kafka-auth.ts'
import type { KubeObject } from './schema-check.ts'

// Only what kafka-auth.ts reads; the rest of the facts are consistency.spec.ts's.
const facts = { configKeys, kafkaClients: ['relay', 'aggregator', 'migrate', 'dlq'] } as unknown as CodeFacts

const strimzi = 'kafka.strimzi.io/v1'
const cluster = { 'strimzi.io/cluster': 'summa' }

/** A Kafka client's pod as the production overlay gives it: its user, its password's Secret, TLS and the CA. */
function client(name: string, command: string, user: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: command,
              image: 'summa:1.2.3',
              args: [command],
              envFrom: [{ configMapRef: { name: 'summa-config' } }],
              env: [
                { name: 'KAFKA_TLS', value: 'true' },
                { name: 'KAFKA_TLS_CA_FILE', value: '/etc/summa/kafka-ca/ca.crt' },
                { name: 'KAFKA_SASL_MECHANISM', value: 'SCRAM-SHA-512' },
                { name: 'KAFKA_SASL_USERNAME', value: user },
                { name: 'KAFKA_SASL_PASSWORD', valueFrom: { secretKeyRef: { name: user, key: 'password' } } },
              ],
              volumeMounts: [{ name: 'kafka-ca', mountPath: '/etc/summa/kafka-ca', readOnly: true }],
            },
          ],
          volumes: [
            {
              name: 'kafka-ca',
              secret: { secretName: 'summa-cluster-ca-cert', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
            },
          ],
        },
      },
    },
  }
}

function kafkaUser(name: string, acls: unknown[]): KubeObject {
  return {
    apiVersion: strimzi,
    kind: 'KafkaUser',
    metadata: { name, labels: cluster },
    spec: { authentication: { type: 'scram-sha-512' }, authorization: { type: 'simple', acls } },
  }
}

const acl = (type: string, name: string, operation: string) => ({
  resource: { type, name, patternType: 'literal' },
  operations: [operation],
})

function topic(name: string): KubeObject {
  return {
    apiVersion: strimzi,
    kind: 'KafkaTopic',
    metadata: { name, labels: cluster },
    spec: { partitions: 6, replicas: 3 },
  }
}

/** A consistent production-like render: 0 relay, 1 aggregator, 2 migrate, 3 Kafka, 4 relay's user, 5 aggregator's user, 6 ConfigMap. */
function render(): KubeObject[] {
  return [
    client('summa-relay', 'relay', 'summa-relay'),
    client('summa-aggregator', 'aggregator', 'summa-aggregator'),
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'summa-migrate' },
      spec: {
        template: {
          spec: { containers: [{ name: 'migrate', image: 'summa:1.2.3', args: ['migrate', '--no-topics'] }] },
        },
      },
    },
    {
      apiVersion: strimzi,
      kind: 'Kafka',
      metadata: { name: 'summa' },
      spec: {
        kafka: {
          listeners: [
            {
              name: 'scram',
              port: 9094,
              type: 'internal',
              tls: true,
              authentication: { type: 'scram-sha-512' },
            },
          ],
          authorization: { type: 'simple' },
        },
      },
    },
    kafkaUser('summa-relay', [acl('topic', 'summa.sums.v1', 'Write')]),
    kafkaUser('summa-aggregator', [
      acl('topic', 'summa.sums.v1', 'Read'),
      acl('group', 'summa-aggregator', 'Read'),
      acl('topic', 'summa.sums.v1.dlq', 'Write'),
    ]),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'summa-config' },
      data: {
        KAFKA_BOOTSTRAP_SERVERS: 'summa-kafka-bootstrap:9094',
        SUMMA_TOPIC_PARTITIONS: '6',
        SUMMA_TOPIC_REPLICATION: '3',
      },
    },
    topic('summa.sums.v1'),
    topic('summa.sums.v1.dlq'),
  ]
}

// biome-ignore lint/suspicious/noExplicitAny: the cases reach into any nested field to break it
type Json = Record<string, any>
const containerOf = (objects: Json[], index: number) => objects[index]!.spec.template.spec.containers[0]
const envOf = (objects: Json[], index: number, name: string) =>
  containerOf(objects, index).env.find((variable: Json) => variable.name === name)

test('a render whose Kafka clients authenticate and encrypt, each with its own grants, has no problems', () => {
  assert.deepEqual(kafkaAuthProblems(render(), facts), [])
})

test('without a Strimzi Kafka (the dev overlay) there is nothing to check', () => {
  const objects = render().filter((o) => !o.kind.startsWith('Kafka'))
  for (const deployment of objects.slice(0, 2) as Json[])
    delete deployment.spec.template.spec.containers[0].env
  assert.deepEqual(kafkaAuthProblems(objects, facts), [])
})

const cases: Array<[string, (objects: Json[]) => void, RegExp]> = [
  [
    'relay without SASL and TLS settings',
    (o) => (containerOf(o, 0).env = []),
    /summa-relay container relay: no KAFKA_SASL_USERNAME/,
  ],
  [
    'aggregator without TLS',
    (o) => (envOf(o, 1, 'KAFKA_TLS').value = 'false'),
    /summa-aggregator container aggregator: KAFKA_TLS is not true/,
  ],
  [
    'password written into the manifest',
    (o) => {
      const password = envOf(o, 0, 'KAFKA_SASL_PASSWORD')
      delete password.valueFrom
      password.value = 'written-down'
    },
    /KAFKA_SASL_PASSWORD must come from the Secret summa-relay/,
  ],
  [
    "password from another user's Secret",
    (o) => (envOf(o, 0, 'KAFKA_SASL_PASSWORD').valueFrom.secretKeyRef.name = 'summa-aggregator'),
    /KAFKA_SASL_PASSWORD must come from the Secret summa-relay/,
  ],
  [
    'mechanism Strimzi does not offer',
    (o) => (envOf(o, 1, 'KAFKA_SASL_MECHANISM').value = 'PLAIN'),
    /KAFKA_SASL_MECHANISM is PLAIN/,
  ],
  [
    'user no KafkaUser stands for',
    (o) => (envOf(o, 0, 'KAFKA_SASL_USERNAME').value = 'admin'),
    /KAFKA_SASL_USERNAME admin is no KafkaUser/,
  ],
  [
    'CA file not mounted',
    (o) => (containerOf(o, 1).volumeMounts = []),
    /aggregator: KAFKA_TLS_CA_FILE must be the key ca.crt of the Secret summa-cluster-ca-cert/,
  ],
  [
    "CA from the clients' CA instead of the cluster CA",
    (o) => (o[0]!.spec.template.spec.volumes[0].secret.secretName = 'summa-clients-ca-cert'),
    /relay: KAFKA_TLS_CA_FILE must be the key ca.crt/,
  ],
  [
    'plain listener',
    (o) => o[3]!.spec.kafka.listeners.push({ name: 'plain', port: 9092, type: 'internal', tls: false }),
    /listener plain \(9092\) takes clients without authentication/,
  ],
  [
    'client on the plain listener',
    (o) => {
      o[3]!.spec.kafka.listeners.push({ name: 'plain', port: 9092, type: 'internal', tls: false })
      o[6]!.data.KAFKA_BOOTSTRAP_SERVERS = 'summa-kafka-bootstrap:9092'
    },
    /relay: connects to Kafka\/summa listener plain, which is not TLS/,
  ],
  [
    'anonymous super user',
    (o) => (o[3]!.spec.kafka.authorization.superUsers = ['ANONYMOUS']),
    /super user ANONYMOUS/,
  ],
  [
    'broker without authorization',
    (o) => delete o[3]!.spec.kafka.authorization,
    /every user may do everything/,
  ],
  [
    'ACL kafka-acls.ts does not grant',
    (o) => o[4]!.spec.authorization.acls.push(acl('topic', 'summa.sums.v1', 'Read')),
    /KafkaUser\/summa-relay: allows "Read topic summa.sums.v1", which .* does not grant the relay/,
  ],
  [
    'prefix where the grant is literal',
    (o) =>
      (o[5]!.spec.authorization.acls[1].resource = { type: 'group', name: 'summa-', patternType: 'prefix' }),
    /summa-aggregator: allows "Read group summa-\*"/,
  ],
  [
    'missing ACL',
    (o) => o[5]!.spec.authorization.acls.pop(),
    /summa-aggregator: lacks "Write topic summa.sums.v1.dlq", which .* grants the aggregator/,
  ],
  [
    'user nobody uses',
    (o) => o.push(kafkaUser('summa-kafka-user', [acl('topic', 'summa.sums.v1', 'All')])),
    /KafkaUser\/summa-kafka-user: no summa Kafka client uses it/,
  ],
  [
    'user shared by the relay and the aggregator',
    (o) => {
      envOf(o, 1, 'KAFKA_SASL_USERNAME').value = 'summa-relay'
      envOf(o, 1, 'KAFKA_SASL_PASSWORD').valueFrom.secretKeyRef.name = 'summa-relay'
    },
    /summa-relay: shared by relay and aggregator/,
  ],
  [
    'migration that would create topics and ACLs',
    (o) => (containerOf(o, 2).args = ['migrate']),
    /run it with --no-topics/,
  ],
  ['topic no KafkaTopic makes', (o) => o.pop(), /topic summa.sums.v1.dlq is no KafkaTopic/],
  [
    'KafkaTopic of another shape',
    (o) => (o[7]!.spec.partitions = 3),
    /KafkaTopic\/summa.sums.v1: 3 partitions × 3 replicas, but .* say 6 × 3/,
  ],
]

for (const [what, change, expected] of cases) {
  test(`finds a ${what}`, () => {
    const objects = render() as Json[]
    change(objects)
    const problems = kafkaAuthProblems(objects as KubeObject[], facts)
    assert.ok(
      problems.some((p) => expected.test(p)),
      `expected ${expected} in:\n${problems.join('\n')}`,
    )
  })
}
