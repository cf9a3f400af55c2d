import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Config, KafkaSasl } from '../shared/config.ts'

/**
 * How `summa up` authenticates to the broker it starts. scripts/kafka/run.sh
 * with KAFKA_SASL=true generates three SCRAM users on the broker's first start
 * and keeps them in `SUMMA_DATA_DIR/kafka-users.env`; `summa up` reads them
 * back and gives each process only its own: migrate the admin (topics, ACLs),
 * the relay and the aggregator theirs, the calculator none (it never talks to
 * Kafka).
 */
export const kafkaUsersFile = 'kafka-users.env'

export interface BrokerUsers {
  admin: KafkaSasl
  relay: KafkaSasl
  aggregator: KafkaSasl
}

export type BrokerAuth =
  /** The environment names the credentials (KAFKA_SASL_USERNAME): used as given, for every process. */
  | { kind: 'configured' }
  /** Plaintext broker: KAFKA_SASL=false, or broker data formatted before it had users. */
  | { kind: 'plaintext'; reason: string }
  /** The broker `up` starts (or started before) with SASL; users read once it wrote them. */
  | { kind: 'generated'; usersFile: string }

export function brokerAuth(config: Config, env: NodeJS.ProcessEnv): BrokerAuth {
  if (config.KAFKA_SASL_USERNAME !== undefined) return { kind: 'configured' }
  if (env.KAFKA_SASL === 'false') return { kind: 'plaintext', reason: 'KAFKA_SASL=false' }
  const usersFile = path.join(config.SUMMA_DATA_DIR, kafkaUsersFile)
  // SCRAM users are created when the storage is formatted: a broker formatted by an
  // earlier, plaintext `summa up` has none, and stays plaintext until its data is removed.
  const formatted = existsSync(path.join(config.SUMMA_DATA_DIR, 'kafka', 'node-1', 'data', 'meta.properties'))
  if (formatted && !existsSync(usersFile)) {
    return {
      kind: 'plaintext',
      reason: `the broker data in ${path.join(config.SUMMA_DATA_DIR, 'kafka')} predates its users; remove it (make clean) for an authenticated broker`,
    }
  }
  return { kind: 'generated', usersFile }
}

/** The users run.sh wrote, or undefined while the file is not there yet. */
export async function readBrokerUsers(usersFile: string): Promise<BrokerUsers | undefined> {
  let text: string
  try {
    text = await readFile(usersFile, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const values = new Map<string, string>()
  for (const line of text.split('\n')) {
    const equals = line.indexOf('=')
    if (equals > 0) values.set(line.slice(0, equals).trim(), line.slice(equals + 1).trim())
  }
  const user = (who: string): KafkaSasl | undefined => {
    const username = values.get(`KAFKA_${who}_USERNAME`)
    const password = values.get(`KAFKA_${who}_PASSWORD`)
    return username && password ? { mechanism: 'SCRAM-SHA-512', username, password } : undefined
  }
  const admin = user('ADMIN')
  const relay = user('RELAY')
  const aggregator = user('AGGREGATOR')
  return admin && relay && aggregator ? { admin, relay, aggregator } : undefined
}

/** The settings that make a process use `user`. */
export function saslEnv(user: KafkaSasl): Record<string, string> {
  return {
    KAFKA_SASL_MECHANISM: user.mechanism,
    KAFKA_SASL_USERNAME: user.username,
    KAFKA_SASL_PASSWORD: user.password,
  }
}
