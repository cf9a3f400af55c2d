import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { PostgresCluster } from '../faults/postgres-cluster.ts'
import { defer } from '../helpers/cleanup.ts'
import { eventually } from '../helpers/eventually.ts'
import { testKafkaEnv } from '../helpers/kafka.ts'
import { freePort } from '../helpers/ports.ts'
import { assertStoppedBy, builtSummaEntry, descendantsOf, isAlive, spawnSumma } from '../helpers/processes.ts'
import { getJson } from '../helpers/system.ts'

/**
 * `summa up` started while PostgreSQL is down: it waits for the database,
 * saying so at warn on every attempt, instead of exiting (under a supervisor,
 * an exit is a restart loop); when the database comes up it prepares the
 * schema and runs the system. The database is a cluster of the test's own,
 * which it may stop; the broker is the test run's (up uses a running one).
 */
describe('summa up while PostgreSQL is down', () => {
  it('waits for the database, then runs the whole system, without exiting', async (t) => {
    const cluster = new PostgresCluster(await freePort())
    await cluster.init()
    defer(t, () => cluster.destroy())
    await cluster.stop('fast')
    const dataDir = await mkdtemp(path.join(tmpdir(), 'summa-up-pg-down-'))
    defer(t, () => rm(dataDir, { recursive: true, force: true }))
    const topic = `summa-up-pg-down-${randomBytes(4).toString('hex')}`
    const ports = {
      aggregator: await freePort(),
      calculator: await freePort(),
      relay: await freePort(),
    }
    const env = {
      DATABASE_URL: cluster.url,
      SUMMA_DATA_DIR: dataDir,
      ...testKafkaEnv(),
      SUMMA_TOPIC: topic,
      SUMMA_CONSUMER_GROUP: `${topic}-aggregator`,
      SUMMA_GRPC_PORT: String(await freePort()),
      SUMMA_HTTP_PORT: String(ports.aggregator),
      SUMMA_CALCULATOR_HTTP_PORT: String(ports.calculator),
      SUMMA_RELAY_HTTP_PORT: String(ports.relay),
      SUMMA_LOG_LEVEL: 'warn',
    }
    const up = spawnSumma(t, ['up'], env, builtSummaEntry)
    defer(t, () => {
      for (const pid of descendantsOf(up.child.pid!)) process.kill(pid, 'SIGKILL')
    })
    const retries = () => up.output().match(/PostgreSQL is unavailable; retrying/g)?.length ?? 0
    await eventually(() => assert.ok(retries() >= 3, up.output()), 60_000, 200)
    assert.equal(up.child.exitCode, null, 'summa up is still running')
    assert.doesNotMatch(up.output(), /\n\s+at /, 'no stack trace per retry')

    await cluster.start()
    for (const port of Object.values(ports))
      await eventually(async () => assert.equal((await getJson(port, '/health')).status, 200), 120_000, 250)
    assert.ok(isAlive(up.child.pid!), 'summa up is still running')

    const children = descendantsOf(up.child.pid!)
    up.child.kill('SIGINT')
    await assertStoppedBy(up, 'SIGINT')
    await eventually(() => assert.deepEqual(children.filter(isAlive), [], 'no process left behind'))
  })
})
