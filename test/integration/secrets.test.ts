import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import postgres from 'postgres'
import { PostgresCluster } from '../faults/postgres-cluster.ts'
import { defer } from '../helpers/cleanup.ts'
import { testEventKeyEnv } from '../helpers/event-keys.ts'
import { eventually } from '../helpers/eventually.ts'
import { createTestTopic, testKafkaEnv } from '../helpers/kafka.ts'
import { freePort } from '../helpers/ports.ts'
import { spawnSumma } from '../helpers/processes.ts'
import { getJson } from '../helpers/system.ts'

// Distinctive, so a grep over everything the run printed finds any copy of it.
const secret = `Zq7sekret${randomBytes(8).toString('hex')}`
const wrongSecret = `Wr0ngpass${randomBytes(8).toString('hex')}`
const clusterPort = Number(process.env.SUMMA_TEST_CLUSTER_PORT ?? 19410)
// The shared server trusts every local login, so a wrong password would pass there: this
// cluster of the test's own asks for one (scram-sha-256) on TCP.
const cluster = new PostgresCluster(clusterPort)
const urlWith = (password: string, database = 'summa') =>
  `postgres://postgres:${password}@127.0.0.1:${clusterPort}/${database}`

/** No stack frame, no credential: what an operator or a client may see. */
function assertClean(text: string, what: string): void {
  for (const password of [secret, wrongSecret])
    assert.ok(!text.includes(password), `${what} shows a password:\n${text}`)
  assert.doesNotMatch(text, /^\s+at /m, `${what} shows a stack trace:\n${text}`)
}

describe('secrets and internals stay out of output', () => {
  before(async () => {
    await cluster.init()
    const admin = postgres(cluster.adminUrl, { max: 1, onnotice: () => {} })
    await admin.unsafe(`alter user postgres password '${secret}'`)
    await writeFile(
      path.join(cluster.dir, 'data', 'pg_hba.conf'),
      'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n',
    )
    await admin`select pg_reload_conf()`
    await admin.end()
  })
  after(() => cluster.destroy())

  it('an invalid DATABASE_URL, a wrong password and an unreachable database give one line each, no password, no stack', async (t) => {
    const run = async (env: Record<string, string>, args = ['migrate', '--no-topics']) => {
      const cli = spawnSumma(t, args, env)
      const { code } = await cli.exited
      return { code, output: cli.output() }
    }
    for (const invalid of [
      `postgress://postgres:${secret}@127.0.0.1:${clusterPort}/summa`,
      `postgres:/postgres:${secret}@127.0.0.1/summa`,
      `postgres:${secret}`,
    ]) {
      const { code, output } = await run({ DATABASE_URL: invalid })
      assert.equal(code, 1, output)
      assert.match(
        output,
        /^summa migrate: invalid configuration: DATABASE_URL: must be a postgres:\/\/ URL\n$/,
      )
      assertClean(output, 'an invalid DATABASE_URL')
    }
    const otel = await run({ SUMMA_OTEL_EXPORTER_URL: `ftp://collector:${secret}@127.0.0.1:4318/` })
    assert.equal(otel.code, 1, otel.output)
    assert.match(otel.output, /SUMMA_OTEL_EXPORTER_URL: must be an http\(s\):\/\/ URL/)
    assertClean(otel.output, 'an invalid SUMMA_OTEL_EXPORTER_URL')

    const wrong = await run({ DATABASE_URL: urlWith(wrongSecret) })
    assert.equal(wrong.code, 1, wrong.output)
    assert.equal(
      wrong.output,
      'summa migrate: PostgreSQL refused the login: password authentication failed for user "postgres"\n',
    )

    const closedPort = await freePort()
    const unreachable = await run({
      DATABASE_URL: `postgres://postgres:${secret}@127.0.0.1:${closedPort}/summa`,
    })
    assert.equal(unreachable.code, 1, unreachable.output)
    assert.equal(
      unreachable.output,
      `summa migrate: a dependency is unavailable: connect ECONNREFUSED 127.0.0.1:${closedPort}\n`,
    )

    // With the right password it works, and says nothing more about the URL than the database name.
    const migrated = await run({ DATABASE_URL: urlWith(secret) })
    assert.equal(migrated.code, 0, migrated.output)
    assertClean(migrated.output, 'summa migrate')
  })

  it('/health while PostgreSQL or Kafka is down says fail with a reason code, never the error text; no log line holds the password', async (t) => {
    const { topic } = await createTestTopic(t)
    const closedKafkaPort = await freePort()
    const base = {
      DATABASE_URL: urlWith(secret),
      SUMMA_TOPIC: topic,
      // debug: the level that carries the raw errors must still carry no password.
      SUMMA_LOG_LEVEL: 'debug',
      SUMMA_SHUTDOWN_TIMEOUT_MS: '3000',
      ...testEventKeyEnv,
    }
    const migrated = spawnSumma(t, ['migrate', '--no-topics'], base)
    assert.equal((await migrated.exited).code, 0, migrated.output())
    const calculatorHttp = await freePort()
    const calculator = spawnSumma(t, ['calculator'], {
      ...base,
      ...testKafkaEnv(),
      SUMMA_GRPC_PORT: String(await freePort()),
      SUMMA_CALCULATOR_HTTP_PORT: String(calculatorHttp),
    })
    // The relay against a Kafka port nothing listens on: up, but not ready.
    const relayHttp = await freePort()
    const relay = spawnSumma(t, ['relay'], {
      ...base,
      KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${closedKafkaPort}`,
      SUMMA_RELAY_HTTP_PORT: String(relayHttp),
    })
    defer(t, () => cluster.start().catch(() => {}))

    await eventually(
      async () => assert.equal((await getJson(calculatorHttp, '/health')).status, 200),
      60_000,
      250,
    )
    const relayHealth = await eventually(async () => {
      const health = await getJson<{ checks: Record<string, Array<{ status: string; output?: string }>> }>(
        relayHttp,
        '/health',
      )
      assert.equal(health.status, 503)
      assert.equal(health.body.checks['kafka:connection']?.[0]?.status, 'fail')
      return health
    }, 60_000)
    const relayBody = JSON.stringify(relayHealth.body)
    assert.equal(relayHealth.body.checks['kafka:connection']?.[0]?.output, 'UNAVAILABLE', relayBody)
    assert.ok(!relayBody.includes(String(closedKafkaPort)), `no host:port in /health: ${relayBody}`)

    await cluster.stop('fast')
    const calculatorHealth = await eventually(async () => {
      const health = await getJson<{ status: string; checks: Record<string, Array<{ output?: string }>> }>(
        calculatorHttp,
        '/health',
      )
      assert.equal(health.status, 503)
      return health
    }, 30_000)
    const calculatorBody = JSON.stringify(calculatorHealth.body)
    assert.equal(calculatorHealth.body.status, 'fail')
    assert.match(
      calculatorHealth.body.checks['postgres:connection']?.[0]?.output ?? '',
      /^[A-Z_]+$/,
      calculatorBody,
    )
    for (const leak of [String(clusterPort), 'ECONNREFUSED', 'connect ', '127.0.0.1']) {
      assert.ok(!calculatorBody.includes(leak), `/health shows ${leak}: ${calculatorBody}`)
    }
    // The detail is in the log, at debug; the change of state is a warn line without it.
    await eventually(() => {
      const lines = calculator.output().split('\n')
      const failed = lines.filter((line) => /"level":"debug".*dependency check failed/.test(line))
      assert.ok(
        failed.some((line) => /ECONN|57P01/.test(line)),
        failed.slice(-3).join('\n'),
      )
      const warn = lines.find((line) => /"level":"warn".*dependency check failing/.test(line))
      assert.ok(warn !== undefined && !/ECONN|57P01/.test(warn), calculator.output().slice(-2000))
    })
    const metrics = await getJson<string>(calculatorHttp, '/metrics')
    assert.ok(!metrics.body.includes(secret), 'no password in a metric label')

    await cluster.start()
    await eventually(
      async () => assert.equal((await getJson(calculatorHttp, '/health')).status, 200),
      30_000,
      250,
    )
    for (const [name, service] of [
      ['calculator', calculator],
      ['relay', relay],
    ] as const) {
      const output = service.output()
      assert.ok(output.split('\n').length > 3, `${name} logged`)
      assert.ok(!output.includes(secret), `a ${name} log line holds the password`)
    }
  })
})
