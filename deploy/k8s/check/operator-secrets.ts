import type { KubeObject } from './schema-check.ts'

// Keys of the Secret CloudNativePG writes for a Cluster's application user (<cluster>-app;
// pkg/specs/secrets.go, CreateSecret). `uri` is postgresql://user:password@<cluster>-rw:5432/db.
const cnpgAppSecretKeys = [
  'username',
  'user',
  'password',
  'dbname',
  'host',
  'port',
  'uri',
  'jdbc-uri',
  'pgpass',
]

// Keys of the Secrets Strimzi writes: the User Operator one per KafkaUser, named after it (no
// secretPrefix configured), and the cluster operator the cluster CA's public part,
// <kafka>-cluster-ca-cert, which clients trust the brokers' certificates with.
const strimziUserSecretKeys: Readonly<Record<string, readonly string[]>> = {
  'scram-sha-512': ['password', 'sasl.jaas.config'],
  tls: ['ca.crt', 'user.crt', 'user.key', 'user.p12', 'user.password'],
}
const strimziClusterCaCertKeys = ['ca.crt', 'ca.p12', 'ca.password']

/**
 * The keys (with stand-in values) of the Secret `name` when an operator makes it for an object of
 * the render, else undefined: such Secrets are in no render, and a reference to one is only right
 * when the object it comes from is.
 */
export function operatorSecret(objects: KubeObject[], name: string): Record<string, string> | undefined {
  const cluster = objects.find((o) => o.kind === 'Cluster' && `${o.metadata.name}-app` === name)
  if (cluster !== undefined)
    return Object.fromEntries(
      cnpgAppSecretKeys.map((k) => [k, `postgresql://operator@${cluster.metadata.name}-rw:5432/app`]),
    )
  const user = objects.find((o) => o.kind === 'KafkaUser' && o.metadata.name === name)
  if (user !== undefined) {
    const type = (user.spec as { authentication?: { type?: string } } | undefined)?.authentication?.type
    return Object.fromEntries((strimziUserSecretKeys[type ?? ''] ?? []).map((k) => [k, 'made-by-strimzi']))
  }
  const kafka = objects.find((o) => o.kind === 'Kafka' && `${o.metadata.name}-cluster-ca-cert` === name)
  if (kafka !== undefined)
    return Object.fromEntries(strimziClusterCaCertKeys.map((k) => [k, 'made-by-strimzi']))
  return undefined
}
