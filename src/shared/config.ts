import path from 'node:path'
import { z } from 'zod'
import { ErrorCodes, SummaError } from './errors.ts'
import { secretSettings } from './redact.ts'

/**
 * Every setting summa reads, as one schema that both validates the environment
 * and gives the Config type. Only entry points call loadConfig(process.env);
 * everything else receives the parsed, frozen Config (or the part it needs).
 * Names carry their units; the README lists each with its default.
 */
const port = z.coerce.number().int().min(0).max(65535)
const positiveInt = z.coerce.number().int().positive()
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
/** A PEM file's path; read when the service starts (and, for the server's own pair, again when it changes). */
const pemFile = z.string().min(1).optional()

const schema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default('postgres://postgres@127.0.0.1:5432/summa'),
  DATABASE_POOL_SIZE: positiveInt.max(100).default(10),
  SUMMA_DATA_DIR: z.string().min(1).default('./.data'),
  SUMMA_HOST: z.string().min(1).default('127.0.0.1'),
  SUMMA_GRPC_PORT: port.default(9090),
  SUMMA_HTTP_PORT: port.default(8080),
  // The aggregator's /health, /health/live and /metrics on a port of their own (unset: on
  // SUMMA_HTTP_PORT with the API), for a network that lets probes and Prometheus reach only it.
  SUMMA_AGGREGATOR_OPS_PORT: port.optional(),
  SUMMA_CALCULATOR_HTTP_PORT: port.default(8081),
  SUMMA_RELAY_HTTP_PORT: port.default(8082),
  // The seeds' own ports, for their clients to work without edits: off unless asked for.
  SUMMA_COMPAT_PORTS: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .default(false),
  SUMMA_COMPAT_GRPC_PORTS: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'must be port[,port…]')
    .transform((value) => value.split(',').map(Number))
    .pipe(z.array(z.number().int().min(0).max(65535)))
    .default([9091, 4000]),
  SUMMA_COMPAT_HTTP_PORT: port.default(3000),
  KAFKA_BOOTSTRAP_SERVERS: z
    .string()
    .regex(/^[^,:\s]+:\d+(,[^,:\s]+:\d+)*$/, 'must be host:port[,host:port…]')
    .default('127.0.0.1:9092'),
  // SASL for every Kafka client of this process (docs/SECURITY.md, "The broker"); unset: plaintext,
  // no authentication. The password is not validated here, so no error message can echo it.
  KAFKA_SASL_MECHANISM: z.enum(['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN']).default('SCRAM-SHA-512'),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  // The principals `summa migrate` grants ACLs to when it runs with SASL credentials (as the admin).
  KAFKA_RELAY_USERNAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/)
    .default('summa-relay'),
  KAFKA_AGGREGATOR_USERNAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/)
    .default('summa-aggregator'),
  SUMMA_TOPIC: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,200}$/, 'must be a legal Kafka topic name')
    .default('summa.sums.v1'),
  SUMMA_TOPIC_PARTITIONS: positiveInt.max(1000).default(6),
  SUMMA_TOPIC_REPLICATION: positiveInt.max(10).default(1),
  SUMMA_CONSUMER_GROUP: z.string().min(1).default('summa-aggregator'),
  SUMMA_IDEMPOTENCY_RETENTION_HOURS: z.coerce.number().positive().default(24),
  SUMMA_REPLAY_CACHE_SIZE: z.coerce.number().int().min(0).default(2000),
  SUMMA_REPLAY_CACHE_TTL_MS: z.coerce.number().int().min(0).default(60_000),
  SUMMA_GROUP_COMMIT_WAIT_MS: z.coerce.number().min(0).max(100).default(2),
  SUMMA_GROUP_COMMIT_MAX_ROWS: positiveInt.max(10_000).default(500),
  // Capped so one produce stays under the broker's default 1 MiB record-batch limit per partition.
  SUMMA_RELAY_BATCH_SIZE: positiveInt.max(5000).default(4000),
  SUMMA_RELAY_POLL_INTERVAL_MS: positiveInt.default(1000),
  SUMMA_RELAY_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(10),
  SUMMA_AGGREGATOR_BATCH_SIZE: positiveInt.max(50_000).default(2000),
  SUMMA_AGGREGATOR_BATCH_WAIT_MS: z.coerce.number().int().min(0).default(10),
  SUMMA_AGGREGATOR_STALL_LIMIT_MS: positiveInt.default(60_000),
  SUMMA_ADD_TIMEOUT_MS: positiveInt.default(5000),
  // Connection limits: what a client that connects and then stalls, or a flood of
  // connections, may hold. Each is a bound on memory and file descriptors.
  SUMMA_HANDSHAKE_TIMEOUT_MS: positiveInt.max(60_000).default(5000),
  SUMMA_GRPC_MAX_CONNECTIONS: positiveInt.max(100_000).default(500),
  SUMMA_GRPC_MAX_CONCURRENT_STREAMS: positiveInt.max(100_000).default(1000),
  SUMMA_GRPC_MAX_CONNECTION_IDLE_MS: positiveInt.default(60_000),
  SUMMA_GRPC_MAX_CONNECTION_AGE_MS: positiveInt.default(10 * 60_000),
  SUMMA_HTTP_MAX_CONNECTIONS: positiveInt.max(100_000).default(1000),
  SUMMA_SSE_MAX_CLIENTS: positiveInt.max(10_000).default(32),
  // Authentication (docs/SECURITY.md). Keys are configured as `id:scope+scope:sha256hex`
  // entries; the servers never see a key itself, only its hash.
  SUMMA_AUTH: z.enum(['auto', 'off-behind-gateway']).default('auto'),
  SUMMA_API_KEYS: z.string().optional(),
  SUMMA_API_KEYS_FILE: z.string().min(1).optional(),
  // JWTs from an identity provider, besides or instead of API keys: its JWKS (a URL or a file),
  // and the issuer and audience a token must name.
  SUMMA_JWKS_URL: z
    .string()
    .regex(/^https?:\/\//, 'must be an http(s):// URL')
    .optional(),
  SUMMA_JWKS_FILE: z.string().min(1).optional(),
  SUMMA_JWT_ISSUER: z.string().min(1).optional(),
  SUMMA_JWT_AUDIENCE: z.string().min(1).optional(),
  // Per client (API key id, or all anonymous callers together); 0 turns the limit off.
  SUMMA_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(0),
  // Requests a client may make at once above its rate; 0: one second's worth.
  SUMMA_RATE_LIMIT_BURST: z.coerce.number().int().min(0).default(0),
  // The key the CLI (`summa add`, `total`, `load`, `reset`, `dlq redrive`) sends; `--api-key` overrides it.
  SUMMA_API_KEY: z.string().optional(),
  SUMMA_SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),
  // Authentic events (src/shared/event-keys.ts): `<key id>:<base64>`, and a list of them.
  // Parsed there, not here, so that an error message can never echo a key.
  SUMMA_EVENT_SIGNING_KEY: z.string().optional(),
  SUMMA_EVENT_VERIFY_KEYS: z.string().optional(),
  SUMMA_LOG_LEVEL: logLevel.default('info'),
  // Observability: tracing is off unless asked for, and then costs nothing per request.
  SUMMA_OTEL_ENABLED: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .default(false),
  SUMMA_OTEL_SAMPLE_RATIO: z.coerce.number().min(0).max(1).default(1),
  SUMMA_OTEL_EXPORTER_URL: z
    .string()
    .regex(/^https?:\/\//, 'must be an http(s):// URL')
    .default('http://127.0.0.1:4318/v1/traces'),
  // TLS on summa's own gRPC and HTTP ports: off unless a certificate and key are given.
  SUMMA_TLS_CERT_FILE: pemFile,
  SUMMA_TLS_KEY_FILE: pemFile,
  // With it, a client must present a certificate this CA signed (mTLS).
  SUMMA_TLS_CLIENT_CA_FILE: pemFile,
  // What summa's own clients (the CLI, summa load, summa up's probes) trust and present.
  SUMMA_TLS_CA_FILE: pemFile,
  SUMMA_TLS_CLIENT_CERT_FILE: pemFile,
  SUMMA_TLS_CLIENT_KEY_FILE: pemFile,
  // PostgreSQL: sslmode comes from DATABASE_URL; these are libpq's sslrootcert, sslcert, sslkey.
  SUMMA_DATABASE_CA_FILE: pemFile,
  SUMMA_DATABASE_CERT_FILE: pemFile,
  SUMMA_DATABASE_KEY_FILE: pemFile,
  // Kafka: TLS to the brokers when true or when any of the files is given.
  KAFKA_TLS: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .default(false),
  KAFKA_TLS_CA_FILE: pemFile,
  KAFKA_TLS_CERT_FILE: pemFile,
  KAFKA_TLS_KEY_FILE: pemFile,
  // Replicas: a name per process, and how fast the consumer group notices a dead aggregator.
  SUMMA_REPLICA_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 of A-Z a-z 0-9 . _ -')
    .optional(),
  // The broker must allow it: its group.min.session.timeout.ms (6000 by default; 1000 in kafka/).
  SUMMA_CONSUMER_SESSION_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300_000).default(1200),
  SUMMA_CONSUMER_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(200),
})

/** Settings that only make sense together: a certificate without its key (or the reverse) is a mistake, not a default. */
const pairs: [ConfigKey, ConfigKey][] = [
  ['SUMMA_TLS_CERT_FILE', 'SUMMA_TLS_KEY_FILE'],
  ['SUMMA_TLS_CLIENT_CERT_FILE', 'SUMMA_TLS_CLIENT_KEY_FILE'],
  ['SUMMA_DATABASE_CERT_FILE', 'SUMMA_DATABASE_KEY_FILE'],
  ['KAFKA_TLS_CERT_FILE', 'KAFKA_TLS_KEY_FILE'],
]

function pairProblems(present: Record<string, unknown>): string[] {
  const problems: string[] = []
  for (const [cert, key] of pairs) {
    if ((present[cert] === undefined) !== (present[key] === undefined)) {
      const [set, missing] = present[cert] === undefined ? [key, cert] : [cert, key]
      problems.push(`${missing}: must be set with ${set} (a certificate and its key, or neither)`)
    }
  }
  if (present.SUMMA_TLS_CLIENT_CA_FILE !== undefined && present.SUMMA_TLS_CERT_FILE === undefined)
    problems.push('SUMMA_TLS_CERT_FILE: must be set with SUMMA_TLS_CLIENT_CA_FILE (mTLS needs TLS)')
  return problems
}

export type Config = Readonly<z.infer<typeof schema>>
export type ConfigKey = keyof z.infer<typeof schema>

/** The names and defaults of every variable, for docs and their test. */
export const configKeys = Object.keys(schema.shape) as ConfigKey[]

/**
 * Parses the environment. Unknown variables are ignored; a present but invalid
 * one stops start-up with a message naming it, because a silently defaulted
 * typo (say, a port) is worse than not starting. The message shows the bad
 * value, except for settings that may hold a credential (redact.ts).
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(
    configKeys.filter((key) => env[key] !== undefined && env[key] !== '').map((key) => [key, env[key]]),
  )
  const parsed = schema.safeParse(present)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?')
      // A connection string holds a password: name the variable, never echo its value.
      const shown = secretSettings.has(name) ? '' : `=${JSON.stringify(env[name])}`
      return `${name}${shown}: ${issue.message}`
    })
    throw new SummaError(ErrorCodes.INVALID_CONFIG, `invalid configuration: ${problems.join('; ')}`, {
      field: String(parsed.error.issues[0]?.path[0] ?? ''),
    })
  }
  const mismatched = pairProblems(present)
  if (mismatched.length > 0) {
    throw new SummaError(ErrorCodes.INVALID_CONFIG, `invalid configuration: ${mismatched.join('; ')}`, {
      field: mismatched[0]!.split(':', 1)[0]!,
    })
  }
  const config = parsed.data
  config.SUMMA_DATA_DIR = path.resolve(config.SUMMA_DATA_DIR)
  return Object.freeze(config)
}

/** The per-client rate limit the settings describe (burst 0: one second's worth of requests). */
export function rateLimitOf(config: Pick<Config, 'SUMMA_RATE_LIMIT_PER_SECOND' | 'SUMMA_RATE_LIMIT_BURST'>) {
  const perSecond = config.SUMMA_RATE_LIMIT_PER_SECOND
  const burst =
    config.SUMMA_RATE_LIMIT_BURST > 0 ? config.SUMMA_RATE_LIMIT_BURST : Math.max(1, Math.ceil(perSecond))
  return { perSecond, burst }
}

export function kafkaBrokers(config: Pick<Config, 'KAFKA_BOOTSTRAP_SERVERS'>): string[] {
  return config.KAFKA_BOOTSTRAP_SERVERS.split(',')
}

export interface KafkaSasl {
  mechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'PLAIN'
  username: string
  password: string
}

/** The process's Kafka credentials, or undefined for an unauthenticated (plaintext) broker. */
export function kafkaSasl(
  config: Pick<Config, 'KAFKA_SASL_MECHANISM' | 'KAFKA_SASL_USERNAME' | 'KAFKA_SASL_PASSWORD'>,
): KafkaSasl | undefined {
  if (config.KAFKA_SASL_USERNAME === undefined) return undefined
  if (config.KAFKA_SASL_PASSWORD === undefined) {
    throw new SummaError(
      ErrorCodes.INVALID_CONFIG,
      'KAFKA_SASL_USERNAME is set but KAFKA_SASL_PASSWORD is not',
      {
        field: 'KAFKA_SASL_PASSWORD',
      },
    )
  }
  return {
    mechanism: config.KAFKA_SASL_MECHANISM,
    username: config.KAFKA_SASL_USERNAME,
    password: config.KAFKA_SASL_PASSWORD,
  }
}
