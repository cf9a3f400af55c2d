import assert from 'node:assert/strict'
import { test } from 'node:test'
import { operatorSecret } from './operator-secrets.ts'
import type { KubeObject } from './schema-check.ts'

const objects: KubeObject[] = [
  { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'db' } },
  { apiVersion: 'kafka.strimzi.io/v1', kind: 'Kafka', metadata: { name: 'k' } },
  {
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaUser',
    metadata: { name: 'relay' },
    spec: { authentication: { type: 'scram-sha-512' } },
  },
]

test("CloudNativePG's application Secret has the uri of the Cluster's primary", () => {
  assert.match(operatorSecret(objects, 'db-app')?.uri ?? '', /^postgresql:\/\/.*@db-rw:5432\//)
})

test("a SCRAM KafkaUser's Secret has its password, and no certificate", () => {
  const secret = operatorSecret(objects, 'relay')
  assert.ok(secret?.password !== undefined)
  assert.equal(secret?.['user.key'], undefined)
})

test("the cluster CA's certificate is in <kafka>-cluster-ca-cert under ca.crt", () => {
  assert.ok(operatorSecret(objects, 'k-cluster-ca-cert')?.['ca.crt'] !== undefined)
})

test('a Secret no operator makes for the render is unknown', () => {
  for (const name of ['db', 'k-clients-ca-cert', 'aggregator', 'other-app'])
    assert.equal(operatorSecret(objects, name), undefined, name)
})
