import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type KubeObject, schemaProblems } from './schema-check.ts'

const deployment = (spec: Record<string, unknown>, container: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', labels: { any: 'label' } },
  spec: {
    selector: { matchLabels: { a: 'b' } },
    template: {
      metadata: { labels: { a: 'b' }, annotations: { 'any/annotation': 'x' } },
      spec: { containers: [{ name: 'c', image: 'i', ...container }] },
    },
    ...spec,
  },
})

test('a valid object has no problems', async () => {
  assert.deepEqual(await schemaProblems(deployment({ replicas: 2 })), [])
})

test('misspelt fields are found at any depth, though the schema validators accept them', async () => {
  const problems = await schemaProblems(
    deployment(
      { maxUnavaliable: 0 },
      { readinesProbe: {}, livenessProbe: { httpGet: { port: 1, pth: '/' } } },
    ),
  )
  assert.deepEqual(
    problems.sort(),
    [
      'Deployment/d: unknown field /spec/maxUnavaliable',
      'Deployment/d: unknown field /spec/template/spec/containers/0/readinesProbe',
      'Deployment/d: unknown field /spec/template/spec/containers/0/livenessProbe/httpGet/pth',
    ].sort(),
  )
})

test('schema violations are reported', async () => {
  const problems = await schemaProblems(deployment({ replicas: 'two' }))
  assert.equal(problems.length, 1)
  assert.match(problems[0]!, /replicas must be integer/)
})

test('apiVersions no supported server serves are refused, though their schemas exist', async () => {
  const pdb = { apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'p' }, spec: {} }
  assert.deepEqual(await schemaProblems(pdb), [
    'PodDisruptionBudget/p: PodDisruptionBudget is served as policy/v1, not policy/v1beta1',
  ])
  const hpa = { apiVersion: 'autoscaling/v2beta2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' } }
  assert.match((await schemaProblems(hpa))[0]!, /served as autoscaling\/v2, not autoscaling\/v2beta2/)
  const kafka = { apiVersion: 'kafka.strimzi.io/v1beta2', kind: 'Kafka', metadata: { name: 'k' } }
  assert.match((await schemaProblems(kafka))[0]!, /served as kafka.strimzi.io\/v1/)
})

test("operators' objects are checked against their CRD schemas; free-form maps are left alone", async () => {
  const kafka: KubeObject = {
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'Kafka',
    metadata: { name: 'k' },
    spec: {
      kafka: {
        listeners: [{ name: 'plain', port: 9092, type: 'internal', tls: false, networkPolicyPeer: [] }],
        config: { 'min.insync.replicas': 2 },
      },
    },
  }
  assert.deepEqual(await schemaProblems(kafka), [
    'Kafka/k: unknown field /spec/kafka/listeners/0/networkPolicyPeer',
  ])
  const cluster = {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: 'c' },
    spec: { instances: 'three', storage: { size: '1Gi' } },
  }
  assert.match((await schemaProblems(cluster))[0]!, /instances must be integer/)
})
