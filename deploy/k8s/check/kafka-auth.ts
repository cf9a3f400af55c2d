import { type Config, loadConfig } from '../../../src/shared/config.ts'
import { deadLetterTopicOf } from '../../../src/shared/dead-letter-topic.ts'
import type { CodeFacts } from './code-facts.ts'
import { containerEnv } from './container-env.ts'
import { type Container, isSummaImage, type PodTemplate, podTemplates } from './pod-templates.ts'
import { describe, type KubeObject } from './schema-check.ts'
import { grantedLines, type StrimziAcl, strimziAclLines } from './strimzi-acls.ts'

interface Listener {
  name: string
  port: number
  tls?: boolean
  authentication?: { type?: string }
}
interface KafkaSpec {
  kafka?: { listeners?: Listener[]; authorization?: { type?: string; superUsers?: string[] } }
}
interface KafkaUserSpec {
  authentication?: { type?: string }
  authorization?: { acls?: StrimziAcl[] }
}

/** One Kafka client container of summa, its environment resolved against the render. */
interface Client {
  pod: PodTemplate
  container: Container
  /** `Kind/name container name`, for messages. */
  where: string
  env: Record<string, string>
  fromSecrets: Record<string, { name: string; key: string }>
  config: Config
}
/** Who uses a KafkaUser: the summa command (relay, aggregator) and the settings it runs with. */
interface Use {
  command: string
  config: Config
}

/**
 * Against a Strimzi Kafka (the production overlay), summa's Kafka clients must authenticate and
 * encrypt, and each may do only what `summa migrate` would grant it: every listener takes only
 * authenticated TLS clients and nobody is a super user (an anonymous producer is refused); every
 * Kafka client (a relay, an aggregator, a migration that creates topics) has SCRAM-SHA-512 as a
 * KafkaUser of its own, its password from the Secret the User Operator writes, TLS and the
 * cluster CA; each KafkaUser allows exactly what src/shared/kafka-acls.ts grants its service,
 * and is used; the topics are KafkaTopics of the configured shape, since no client may create
 * them. A render without a Strimzi Kafka (dev's plaintext broker) has none of this to check.
 */
export function kafkaAuthProblems(objects: KubeObject[], facts: CodeFacts): string[] {
  const kafkas = objects.filter((o) => o.kind === 'Kafka' && o.apiVersion.startsWith('kafka.strimzi.io/'))
  if (kafkas.length === 0) return []
  const found: string[] = []
  for (const kafka of kafkas) found.push(...brokerProblems(kafka))

  const uses = new Map<string, Use[]>()
  for (const pod of podTemplates(objects)) {
    for (const container of pod.spec.containers) {
      const command = container.args?.[0] ?? ''
      if (!isSummaImage(container.image) || !facts.kafkaClients.includes(command)) continue
      const where = `${describe(pod.owner)} container ${container.name}`
      // src/cli/migrate-command.ts, migrateCommand: --no-topics returns before any Kafka connection.
      if (command === 'migrate' && container.args?.includes('--no-topics')) continue
      if (command === 'migrate') {
        found.push(
          `${where}: summa migrate creates the topics and, with a Kafka user, grants ACLs; Strimzi's topic and user operators own both here: run it with --no-topics`,
        )
        continue
      }
      // The environment's own problems are consistency.ts's to report.
      const { env, fromSecrets } = containerEnv(container, objects, facts.configKeys, where)
      let config: Config
      try {
        config = loadConfig(env)
      } catch {
        continue
      }
      found.push(...clientProblems(objects, kafkas, { pod, container, where, env, fromSecrets, config }))
      const user = config.KAFKA_SASL_USERNAME
      if (user !== undefined) uses.set(user, [...(uses.get(user) ?? []), { command, config }])
      found.push(...topicProblems(objects, config, command === 'aggregator', where))
    }
  }
  for (const user of objects.filter((o) => o.kind === 'KafkaUser'))
    found.push(...userProblems(user, uses.get(user.metadata.name) ?? []))
  return [...new Set(found)]
}

function brokerProblems(kafka: KubeObject): string[] {
  const found: string[] = []
  const spec = (kafka.spec as KafkaSpec | undefined)?.kafka
  for (const listener of spec?.listeners ?? []) {
    const name = `${describe(kafka)} listener ${listener.name} (${listener.port})`
    if (listener.authentication?.type === undefined)
      found.push(`${name} takes clients without authentication: anyone who reaches it is ANONYMOUS`)
    if (listener.tls !== true) found.push(`${name} is not TLS: records cross the network in the clear`)
  }
  const authorization = spec?.authorization
  if (authorization?.type !== 'simple')
    found.push(`${describe(kafka)}: no authorization simple, so every user may do everything`)
  for (const superUser of authorization?.superUsers ?? [])
    found.push(
      `${describe(kafka)}: super user ${superUser} passes every ACL; summa needs none (Strimzi's own components are super users without it)`,
    )
  return found
}

function clientProblems(objects: KubeObject[], kafkas: KubeObject[], client: Client): string[] {
  const { pod, container, where, env, fromSecrets, config } = client
  const found: string[] = []
  for (const address of config.KAFKA_BOOTSTRAP_SERVERS.split(',')) {
    const [host = '', port = ''] = address.split(':')
    const kafka = kafkas.find((k) => `${k.metadata.name}-kafka-bootstrap` === host.split('.')[0])
    if (kafka === undefined) {
      found.push(`${where}: Kafka at ${address}, which is no Strimzi Kafka's bootstrap Service`)
      continue
    }
    const listener = (kafka.spec as KafkaSpec).kafka?.listeners?.find((l) => l.port === Number(port))
    if (listener === undefined) {
      found.push(`${where}: Kafka at ${address}, but ${describe(kafka)} has no listener on ${port}`)
      continue
    }
    // Whatever the listener says, a client must authenticate and encrypt; and the listener must agree.
    const on = `${describe(kafka)} listener ${listener.name}`
    if (listener.authentication?.type !== 'scram-sha-512')
      found.push(`${where}: connects to ${on}, which does not take SCRAM-SHA-512 users`)
    if (listener.tls !== true) found.push(`${where}: connects to ${on}, which is not TLS`)
    const user = config.KAFKA_SASL_USERNAME
    if (user === undefined)
      found.push(`${where}: no KAFKA_SASL_USERNAME: it must authenticate as a KafkaUser`)
    else {
      const kafkaUser = objects.find((o) => o.kind === 'KafkaUser' && o.metadata.name === user)
      const type = (kafkaUser?.spec as KafkaUserSpec | undefined)?.authentication?.type
      if (kafkaUser === undefined)
        found.push(`${where}: KAFKA_SASL_USERNAME ${user} is no KafkaUser of the render`)
      else if (type !== 'scram-sha-512')
        found.push(`${where}: KafkaUser ${user} authenticates by ${type}, not scram-sha-512`)
      else if (kafkaUser.metadata.labels?.['strimzi.io/cluster'] !== kafka.metadata.name)
        found.push(`${where}: KafkaUser ${user} is not labelled strimzi.io/cluster=${kafka.metadata.name}`)
      const secret = fromSecrets.KAFKA_SASL_PASSWORD
      if (secret === undefined || secret.name !== user || secret.key !== 'password')
        found.push(
          `${where}: KAFKA_SASL_PASSWORD must come from the Secret ${user} (key password) that Strimzi writes for the KafkaUser`,
        )
    }
    if (env.KAFKA_SASL_MECHANISM !== 'SCRAM-SHA-512')
      found.push(
        `${where}: KAFKA_SASL_MECHANISM is ${env.KAFKA_SASL_MECHANISM ?? 'unset'}, not SCRAM-SHA-512`,
      )
    if (!config.KAFKA_TLS) found.push(`${where}: KAFKA_TLS is not true`)
    const ca = `${kafka.metadata.name}-cluster-ca-cert`
    const mounted = config.KAFKA_TLS_CA_FILE && secretFileAt(pod, container, config.KAFKA_TLS_CA_FILE)
    if (!mounted || mounted.secret !== ca || mounted.key !== 'ca.crt')
      found.push(
        `${where}: KAFKA_TLS_CA_FILE must be the key ca.crt of the Secret ${ca} mounted into the container (the cluster CA signs the brokers' certificates)`,
      )
  }
  return found
}

/** The Secret and key a file of the container comes from, if a secret volume is mounted there. */
function secretFileAt(pod: PodTemplate, container: Container, file: string) {
  for (const mount of container.volumeMounts ?? []) {
    const path =
      mount.subPath !== undefined
        ? file === mount.mountPath && mount.subPath
        : file.startsWith(`${mount.mountPath}/`) && file.slice(mount.mountPath.length + 1)
    if (!path) continue
    const secret = pod.spec.volumes?.find((v) => v.name === mount.name)?.secret
    if (secret?.secretName === undefined) return undefined
    const key = secret.items === undefined ? path : secret.items.find((item) => item.path === path)?.key
    return { secret: secret.secretName, key }
  }
  return undefined
}

/** The topics a client uses must be KafkaTopics of the configured shape: it may not create them. */
function topicProblems(objects: KubeObject[], config: Config, deadLetters: boolean, where: string): string[] {
  const names = [config.SUMMA_TOPIC, ...(deadLetters ? [deadLetterTopicOf(config.SUMMA_TOPIC)] : [])]
  return names.flatMap((name) => {
    const topic = objects.find(
      (o) =>
        o.kind === 'KafkaTopic' &&
        ((o.spec as { topicName?: string })?.topicName ?? o.metadata.name) === name,
    )
    if (topic === undefined)
      return [`${where}: topic ${name} is no KafkaTopic, and no summa client may create it`]
    const spec = topic.spec as { partitions?: number; replicas?: number }
    if (spec.partitions !== config.SUMMA_TOPIC_PARTITIONS || spec.replicas !== config.SUMMA_TOPIC_REPLICATION)
      return [
        `${describe(topic)}: ${spec.partitions} partitions × ${spec.replicas} replicas, but SUMMA_TOPIC_PARTITIONS/REPLICATION say ${config.SUMMA_TOPIC_PARTITIONS} × ${config.SUMMA_TOPIC_REPLICATION}`,
      ]
    return []
  })
}

/** A KafkaUser must belong to one kind of summa client and allow it exactly its grants. */
function userProblems(user: KubeObject, uses: Use[]): string[] {
  const name = describe(user)
  const first = uses[0]
  if (first === undefined) return [`${name}: no summa Kafka client uses it, a credential nobody needs`]
  const commands = [...new Set(uses.map((use) => use.command))]
  if (commands.length > 1)
    return [`${name}: shared by ${commands.join(' and ')}, each would hold the other's rights`]
  const { command: role, config } = first
  const granted = grantedLines(
    {
      topic: config.SUMMA_TOPIC,
      deadLetterTopic: deadLetterTopicOf(config.SUMMA_TOPIC),
      consumerGroup: config.SUMMA_CONSUMER_GROUP,
      relay: role === 'relay' ? user.metadata.name : '',
      aggregator: role === 'aggregator' ? user.metadata.name : '',
    },
    user.metadata.name,
  )
  const allowed = strimziAclLines((user.spec as KafkaUserSpec | undefined)?.authorization?.acls ?? [])
  return [
    ...granted
      .filter((line) => !allowed.includes(line))
      .map((line) => `${name}: lacks "${line}", which src/shared/kafka-acls.ts grants the ${role}`),
    ...allowed
      .filter((line) => !granted.includes(line))
      .map((line) => `${name}: allows "${line}", which src/shared/kafka-acls.ts does not grant the ${role}`),
  ]
}
