import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import { servedServiceNames } from '../../../src/calculator/grpc/calculator-server.ts'
import { serviceNodeFlags } from '../../../src/cli/service-runtime.ts'
import { type ConfigKey, configKeys } from '../../../src/shared/config.ts'

/** What the manifests must agree with, read from the code, the Dockerfile and the repo. */
export interface CodeFacts {
  version: string
  configKeys: readonly string[]
  /** Command → the config keys of the ports it listens on (http: its /health, /metrics server). */
  listeners: Readonly<Record<string, { http?: ConfigKey; grpc?: ConfigKey }>>
  commands: readonly string[]
  /** Commands that open Kafka connections (migrate unless --no-topics). */
  kafkaClients: readonly string[]
  opsRoutes: readonly string[]
  grpcHealthServices: readonly string[]
  nodeFlags: readonly string[]
  kafkaVersion: string
  prometheusJobs: readonly string[]
  dockerfile: DockerfileFacts
}

export interface DockerfileFacts {
  uid: number | undefined
  exposed: number[]
  env: Record<string, string>
  entrypoint: string
}

const read = (root: string, file: string): string => readFileSync(path.join(root, file), 'utf8')

/** Facts from the repository at `root`; the Dockerfile is read from `dockerfileDir` (the root too, by default). */
export function loadCodeFacts(root: string, dockerfileDir = root): CodeFacts {
  const listeners: Record<string, { http?: ConfigKey; grpc?: ConfigKey }> = {}
  // The CLI's Kafka clients: migrate (src/cli/migrate-command.ts) and dlq redrive (src/dlq/redrive-command.ts).
  const kafkaClients = ['migrate', 'dlq']
  for (const service of ['calculator', 'relay', 'aggregator']) {
    const source = read(root, `src/${service}/start-${service}.ts`)
    if (source.includes('kafkaConnectionOf(')) kafkaClients.push(service)
    // The API server's port where a service has one (the aggregator), else its ops server's (OpsPlane.serve).
    const http =
      /http\.listen\(\{ host: config\.SUMMA_HOST, port: config\.(\w+) \}\)/.exec(source)?.[1] ??
      /ops\.serve\(\{\s*port: config\.(\w+)/.exec(source)?.[1]
    const grpc = /\.listen\(config\.SUMMA_HOST, config\.(\w+)\)/.exec(source)?.[1]
    listeners[service] = {
      ...(http === undefined ? {} : { http: http as ConfigKey }),
      ...(grpc === undefined ? {} : { grpc: grpc as ConfigKey }),
    }
  }
  listeners.migrate = {}
  const cli = read(root, 'src/bin/summa.ts')
  const commands = [...Object.keys(listeners), ...[...cli.matchAll(/case '([a-z]+)':/g)].map((m) => m[1]!)]
  const opsRoutes = [...read(root, 'src/shared/http/ops-routes.ts').matchAll(/\.get\(\s*'([^']+)'/g)].map(
    (m) => m[1]!,
  )
  const kafkaVersion =
    /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(read(root, 'kafka/pom.xml'))?.[1] ?? ''
  const prometheus = parse(read(root, 'observability/prometheus/prometheus.yml')) as {
    scrape_configs: Array<{ job_name: string }>
  }
  return {
    version: (JSON.parse(read(root, 'package.json')) as { version: string }).version,
    configKeys,
    listeners,
    commands: [...new Set(commands)],
    kafkaClients,
    opsRoutes,
    // The names grpc.health.v1 answers for: the server as a whole ('') and every service it serves.
    grpcHealthServices: ['', ...servedServiceNames],
    nodeFlags: serviceNodeFlags,
    kafkaVersion,
    prometheusJobs: prometheus.scrape_configs.map((config) => config.job_name),
    dockerfile: parseDockerfile(dockerfileDir),
  }
}

/** The few Dockerfile facts the manifests depend on: run-time user, ports, environment, entry point. */
export function parseDockerfile(root: string): DockerfileFacts {
  const file = path.join(root, 'Dockerfile')
  if (!existsSync(file)) throw new Error(`no Dockerfile at ${file}: the manifests are checked against it`)
  const text = readFileSync(file, 'utf8').replace(/\\\r?\n/g, ' ')
  // Only the last stage is the image that runs.
  const stages = text.split(/^FROM\s/m)
  const last = stages.at(-1) ?? ''
  const lines = last.split('\n').map((line) => line.trim())
  const user = lines
    .filter((line) => line.startsWith('USER '))
    .at(-1)
    ?.slice(5)
    .trim()
  let uid = user === undefined ? undefined : Number(user.split(':')[0])
  if (user !== undefined && Number.isNaN(uid)) {
    const made = new RegExp(`--uid\\s+(\\d+)[^\\n]*\\b${user.split(':')[0]}\\b`).exec(last)
    uid = made === null ? undefined : Number(made[1])
  }
  const exposed = lines
    .filter((line) => line.startsWith('EXPOSE '))
    .flatMap((line) => line.slice(7).trim().split(/\s+/))
    .map((port) => Number.parseInt(port, 10))
  const env: Record<string, string> = {}
  for (const line of lines.filter((l) => l.startsWith('ENV '))) {
    for (const m of line.slice(4).matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[m[1]!] = m[2]!.replace(/^"|"$/g, '')
  }
  const entrypoint = lines.filter((line) => line.startsWith('ENTRYPOINT ')).at(-1) ?? ''
  return { uid, exposed, env, entrypoint }
}
