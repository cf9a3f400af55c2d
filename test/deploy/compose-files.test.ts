/**
 * What the deploy test cannot run here (Grafana, Loki, Alloy, Tempo, Kafbat UI,
 * Prometheus: images from registries this machine cannot reach), checked
 * statically: Compose reads the users' file (and the three-broker profile),
 * every config file parses in its own format, and every port, variable, path
 * and service name they name exists in the code, the repo or the stack.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'
import { serviceNodeFlags } from '../../src/cli/service-runtime.ts'
import { configKeys } from '../../src/shared/config.ts'

const root = path.resolve(import.meta.dirname, '../..')
const read = (file: string) => readFileSync(path.join(root, file), 'utf8')
const yamlOf = (file: string) => parse(read(file), { merge: true })

type Service = {
  image?: string
  command?: string[]
  environment?: Record<string, string>
  healthcheck?: { test?: string[]; disable?: boolean }
  depends_on?: Record<string, { condition: string }>
  volumes?: string[]
  ports?: string[]
  restart?: string
  profiles?: string[]
}

/** `docker-compose config` with an env file made from .env.example plus `extra`. */
function composeConfig(extraEnv: string, args: string[] = []): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'summa-compose-'))
  try {
    const envFile = path.join(dir, 'compose.env')
    const env = read('.env.example')
      .replace(/^POSTGRES_PASSWORD=$/m, 'POSTGRES_PASSWORD=checked')
      .replace(/^GRAFANA_ADMIN_PASSWORD=$/m, 'GRAFANA_ADMIN_PASSWORD=checked')
      .replace(/^(KAFKA_[A-Z]+_PASSWORD)=$/gm, '$1=checked')
      .replace(
        /^SUMMA_EVENT_SIGNING_KEY=$/m,
        `SUMMA_EVENT_SIGNING_KEY=k1:${Buffer.alloc(32, 1).toString('base64')}`,
      )
    writeFileSync(envFile, `${env}\n${extraEnv}`)
    return execFileSync('docker-compose', ['--env-file', envFile, '-f', 'compose.yaml', ...args, 'config'], {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const resolved = parse(composeConfig('')) as { services: Record<string, Service> }
const services = resolved.services
const summaServices = Object.entries(services).filter(([, s]) => s.image === 'summa:0.1.0' && s.command)

test('Compose reads the users file, and the three-broker profile adds two brokers at RF 3, min ISR 2', () => {
  assert.ok(services['calculator-1'] && services['aggregator-2'] && services.nginx)
  const cluster = parse(
    composeConfig(read('deploy/compose/kafka-cluster.env'), ['--profile', 'kafka-cluster']),
  ) as {
    services: Record<string, Service>
  }
  for (const broker of ['kafka-1', 'kafka-2', 'kafka-3']) {
    const env = cluster.services[broker]?.environment ?? {}
    assert.equal(env.KAFKA_CONTROLLER_QUORUM_VOTERS, '1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093', broker)
    assert.equal(env.KAFKA_DEFAULT_REPLICATION_FACTOR, '3', broker)
    assert.equal(env.KAFKA_MIN_INSYNC_REPLICAS, '2', broker)
  }
  assert.equal(cluster.services['calculator-1']?.environment?.SUMMA_TOPIC_REPLICATION, '3')
  assert.equal(
    cluster.services['relay-1']?.environment?.KAFKA_BOOTSTRAP_SERVERS,
    'kafka-1:9092,kafka-2:9092,kafka-3:9092',
  )
  assert.deepEqual(services['kafka-2']?.profiles, ['kafka-cluster'], 'kafka-2 only in the profile')
})

test('every service has a healthcheck or says why not, a restart policy, and ports on 127.0.0.1 only', () => {
  const withoutHealthcheck = ['migrate', 'volume-owner', 'tempo']
  for (const [name, service] of Object.entries(services)) {
    // Compose resolves `disable: true` to the test ["NONE"].
    const disabled = service.healthcheck?.disable === true || service.healthcheck?.test?.[0] === 'NONE'
    if (withoutHealthcheck.includes(name)) assert.ok(disabled, `${name}: healthcheck disabled`)
    else assert.ok(!disabled && service.healthcheck?.test?.length, `${name} has a healthcheck`)
    assert.ok(service.restart, `${name} has a restart policy`)
    for (const port of service.ports ?? [])
      assert.match(String(port), /^127\.0\.0\.1:\d+:\d+(\/tcp)?$/, `${name}: ${port}`)
    for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
      assert.ok(services[dependency], `${name} depends on ${dependency}, which exists`)
      if (condition === 'service_healthy')
        assert.ok(!services[dependency]?.healthcheck?.disable, `${dependency} has a check`)
    }
  }
  // The tempo healthcheck comment names the reason; the others are one-shot.
  assert.match(read('compose.yaml'), /distroless \(no shell, no HTTP client\)/)
})

test('the summa services use only settings summa reads, and their ports and health URLs are summa`s', () => {
  const ports = { calculator: '8081', relay: '8082', aggregator: '8080' } as const
  for (const [name, service] of summaServices) {
    for (const key of Object.keys(service.environment ?? {}))
      assert.ok(
        (configKeys as string[]).includes(key),
        `${name}: ${key} is one of src/shared/config.ts's keys`,
      )
    const kind = service.command?.[0]
    if (kind === 'calculator' || kind === 'relay' || kind === 'aggregator') {
      assert.deepEqual(service.healthcheck?.test, [
        'CMD',
        '/usr/local/bin/node',
        '/app/dist/bin/summa.js',
        'health',
        `http://127.0.0.1:${ports[kind]}/health`,
      ])
    }
    assert.equal(service.environment?.SUMMA_OTEL_ENABLED, 'true', `${name} traces`)
    assert.equal(service.environment?.SUMMA_OTEL_EXPORTER_URL, 'http://tempo:4318/v1/traces')
  }
  assert.deepEqual(summaServices.map(([name]) => name).sort(), [
    'aggregator-1',
    'aggregator-2',
    'calculator-1',
    'calculator-2',
    'migrate',
    'relay-1',
    'relay-2',
  ])
})

test('the broker takes no anonymous client, and each summa process that talks to it has a user of its own', () => {
  const broker = services['kafka-1']!.environment ?? {}
  const protocols = (broker.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP ?? '')
    .split(',')
    .map((pair) => pair.split(':')[1])
  assert.deepEqual([...new Set(protocols)], ['SASL_PLAINTEXT'], 'every listener authenticates')
  for (const listeners of [broker.KAFKA_LISTENERS, broker.KAFKA_ADVERTISED_LISTENERS])
    for (const listener of (listeners ?? '').split(','))
      assert.ok(
        /^(SASL_PLAINTEXT|CONTROLLER):\/\//.test(listener),
        `${listener} is one of the mapped listeners`,
      )
  assert.equal(broker.KAFKA_AUTHORIZER_CLASS_NAME, 'org.apache.kafka.metadata.authorizer.StandardAuthorizer')
  assert.equal(broker.KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND, 'false')
  assert.equal(broker.KAFKA_SUPER_USERS, 'User:summa-admin')
  const userOf = Object.fromEntries(
    summaServices.map(([name, service]) => [name, service.environment?.KAFKA_SASL_USERNAME ?? null]),
  )
  assert.deepEqual(userOf, {
    'aggregator-1': 'summa-aggregator',
    'aggregator-2': 'summa-aggregator',
    'calculator-1': null,
    'calculator-2': null,
    migrate: 'summa-admin',
    'relay-1': 'summa-relay',
    'relay-2': 'summa-relay',
  })
  // Each password is the one the broker's JAAS config gives that user (the env file says 'checked').
  const jaas = broker.KAFKA_LISTENER_NAME_SASL__PLAINTEXT_PLAIN_SASL_JAAS_CONFIG ?? ''
  for (const user of ['summa-admin', 'summa-relay', 'summa-aggregator'])
    assert.match(jaas, new RegExp(`user_${user}="checked"`), user)
})

test('the Dockerfile runs the CLI with the V8 flags bin/summa gives the services, as a non-root user', () => {
  const dockerfile = read('Dockerfile')
  const entrypoint = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(dockerfile)?.[1] ?? '[]') as string[]
  assert.deepEqual(entrypoint, ['/usr/local/bin/node', ...serviceNodeFlags, '/app/dist/bin/summa.js'])
  assert.match(dockerfile, /^USER 10001:10001$/m)
  assert.match(dockerfile, /^EXPOSE 9090 8080 8081 8082$/m)
  assert.match(dockerfile, /SUMMA_HOST=0\.0\.0\.0/)
  const version = JSON.parse(read('package.json')).version
  assert.match(read('compose.yaml'), new RegExp(`summa:${version.replaceAll('.', '\\.')}\\b`))
})

test('every file the stack mounts exists in the repo', () => {
  for (const [name, service] of Object.entries(services))
    for (const volume of service.volumes ?? []) {
      const source = String(volume).split(':')[0]!
      if (!source.startsWith('/') || source === '/var/run/docker.sock') continue
      assert.ok(existsSync(source), `${name} mounts ${source}`)
    }
})

test('nginx and Prometheus name every replica by its service and summa port', () => {
  const upstreams = read('deploy/compose/nginx/upstreams.conf')
  const servers = [...upstreams.matchAll(/^\s*server ([\w-]+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`)
  assert.deepEqual(servers, [
    'calculator-1:9090',
    'calculator-2:9090',
    'aggregator-1:8080',
    'aggregator-2:8080',
  ])
  assert.match(upstreams, /upstream summa_calculators \{[^}]*keepalive 16;/)
  assert.match(upstreams, /upstream summa_aggregators \{/)
  const prometheus = yamlOf('deploy/compose/prometheus/prometheus.yml') as {
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>
  }
  const targets = Object.fromEntries(
    prometheus.scrape_configs.map((job) => [job.job_name, job.static_configs.flatMap((c) => c.targets)]),
  )
  assert.deepEqual(targets['summa-calculator'], ['calculator-1:8081', 'calculator-2:8081'])
  assert.deepEqual(targets['summa-relay'], ['relay-1:8082', 'relay-2:8082'])
  assert.deepEqual(targets['summa-aggregator'], ['aggregator-1:8080', 'aggregator-2:8080'])
  for (const target of [...(targets.tempo ?? []), ...(targets.loki ?? [])])
    assert.ok(services[target.split(':')[0]!], target)
  // The job names are those the rules and the dashboards select on.
  const original = yamlOf('observability/prometheus/prometheus.yml') as typeof prometheus
  for (const job of original.scrape_configs) assert.ok(targets[job.job_name], job.job_name)
})

test('Grafana, Loki, Tempo, Alloy and Kafbat UI point at each other by the stack`s names and ports', () => {
  const datasources = yamlOf('observability/grafana/provisioning/datasources/summa.yml') as {
    datasources: Array<{ uid: string; url: string }>
  }
  const urls = Object.fromEntries(datasources.datasources.map((d) => [d.uid, d.url]))
  const loki = yamlOf('deploy/compose/loki/loki.yaml') as { server: { http_listen_port: number } }
  const tempo = yamlOf('deploy/compose/tempo/tempo.yaml') as {
    server: { http_listen_port: number }
    distributor: { receivers: { otlp: { protocols: { http: { endpoint: string } } } } }
  }
  assert.equal(urls['summa-prometheus'], 'http://prometheus:9090')
  assert.equal(urls['summa-loki'], `http://loki:${loki.server.http_listen_port}`)
  assert.equal(urls['summa-tempo'], `http://tempo:${tempo.server.http_listen_port}`)
  assert.equal(tempo.distributor.receivers.otlp.protocols.http.endpoint, '0.0.0.0:4318')
  // Every datasource uid a dashboard uses is provisioned.
  const dashboard = read('observability/grafana/dashboards/summa-overview.json')
  const used = [...dashboard.matchAll(/"datasource":\s*\{[^}]*"uid":\s*"([\w-]+)"/g)].map((m) => m[1]!)
  assert.ok(used.length > 0, 'the dashboard names its datasources')
  for (const uid of new Set(used)) assert.ok(urls[uid], `dashboard datasource ${uid}`)
  const alloy = read('deploy/compose/alloy/config.alloy')
  assert.match(alloy, new RegExp(`"http://loki:${loki.server.http_listen_port}/loki/api/v1/push"`))
  assert.match(alloy, /com\.docker\.compose\.project=summa/)
  assert.match(read('.env.example'), /^COMPOSE_PROJECT_NAME=summa$/m)
  const kafbat = yamlOf('deploy/compose/kafbat/config.yml') as {
    kafka: { clusters: Array<{ bootstrapServers: string }> }
  }
  assert.equal(kafbat.kafka.clusters[0]?.bootstrapServers, 'kafka-1:9092')
})

test('the Alloy config is well-formed River: balanced blocks, every component reference defined', () => {
  // No River parser is published on npm; this checks what a typo breaks most often.
  const alloy = read('deploy/compose/alloy/config.alloy')
    .replace(/\/\/.*$/gm, '')
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
  let depth = 0
  for (const char of alloy) {
    depth += char === '{' ? 1 : char === '}' ? -1 : 0
    assert.ok(depth >= 0, 'no } before its {')
  }
  assert.equal(depth, 0, 'every { closed')
  const source = read('deploy/compose/alloy/config.alloy')
  const defined = new Set([...source.matchAll(/^([a-z_.]+) "([\w-]+)" \{/gm)].map((m) => `${m[1]}.${m[2]}`))
  for (const [, component] of source.matchAll(
    /= \[?([a-z_]+\.[a-z_]+\.[\w-]+)\.(?:receiver|targets|output|rules)/g,
  ))
    assert.ok(defined.has(component!), `${component} is defined`)
})

test('the Prometheus config passes promtool, rules included', () => {
  const out = execFileSync('promtool', ['check', 'config', 'deploy/compose/prometheus/prometheus.yml'], {
    cwd: root,
    encoding: 'utf8',
  })
  assert.match(out, /SUCCESS: 2 rule files found/)
})

test('the TLS override mounts the gateway`s tls.conf and certificates and publishes 8443 on 127.0.0.1', () => {
  const tls = yamlOf('compose.tls.yaml') as { services: { nginx: Service } }
  const nginx = tls.services.nginx
  // Compose reads the pair, and the merged nginx keeps the gateway's own mounts.
  const merged = parse(composeConfig('', ['-f', 'compose.tls.yaml'])) as { services: Record<string, Service> }
  const mounts = merged.services.nginx?.volumes ?? []
  assert.ok(mounts.some((v) => String(v).endsWith(':/etc/nginx/nginx.conf:ro')))
  assert.ok(mounts.some((v) => String(v).endsWith(':/etc/nginx/summa/conf.d/tls.conf:ro')))
  assert.ok(
    nginx.volumes?.some((v) => v.startsWith('./deploy/nginx/tls.conf:/etc/nginx/summa/conf.d/tls.conf')),
  )
  assert.ok(nginx.volumes?.some((v) => v.includes(':/etc/nginx/summa/tls')))
  assert.ok(nginx.ports?.every((p) => p.startsWith('127.0.0.1:')))
  assert.match(read('deploy/nginx/tls.conf'), /\/etc\/nginx\/summa\/tls\/tls\.crt/)
})
