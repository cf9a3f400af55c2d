import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import { createSql } from '../../src/shared/db.ts'
import { createAdmin } from '../../src/shared/kafka.ts'
import { verify } from '../../src/verify/verify.ts'
import { eventually } from '../helpers/eventually.ts'
import { TrafficDriver } from './driver.ts'
import { startSystem, waitUntilHealthy } from './system-under-test.ts'

/**
 * Three KRaft brokers started by scripts/kafka/cluster.sh on this machine
 * (ports SUMMA_TEST_CLUSTER_PORT…+5, default 19410), topic with replication
 * factor 3 and min.insync.replicas=2, the relay producing with acks=all. The
 * leader of the most partitions is killed with SIGKILL under load; nothing
 * acknowledged may be lost, and the verifier must agree.
 */
const root = fileURLToPath(new URL('../../', import.meta.url))
const basePort = Number(process.env.SUMMA_TEST_CLUSTER_PORT ?? 19410)
const bootstrap = [0, 1, 2].map((i) => `127.0.0.1:${basePort + 2 * i}`).join(',')
const adminUrl = process.env.SUMMA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const resultsDir = path.join(root, '.test-data', 'faults')
const rate = Number(process.env.SUMMA_FAULTS_RATE ?? 100)

function cluster(command: 'start' | 'stop', dataDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      path.join(root, 'scripts/kafka/cluster.sh'),
      [command],
      {
        env: { ...process.env, SUMMA_DATA_DIR: dataDir, KAFKA_PORT: String(basePort), KAFKA_HEAP: '384m' },
        timeout: 240_000,
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`cluster.sh ${command}: ${stderr}`)) : resolve(stdout),
    )
  })
}

describe('three brokers', () => {
  let dataDir: string
  let dir: string
  const database = `summa_faults_cluster_${randomBytes(4).toString('hex')}`
  const databaseUrl = adminUrl.replace(/\/[^/]*$/, `/${database}`)

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'summa-cluster-'))
    dir = path.join(resultsDir, 'three-brokers')
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    await cluster('start', dataDir)
  })

  after(async () => {
    await cluster('stop', dataDir).catch(() => {})
    await rm(dataDir, { recursive: true, force: true })
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
    await admin.unsafe(`drop database if exists ${database} with (force)`).finally(() => admin.end())
  })

  it('kill -9 of the partition leader under load: nothing acknowledged is lost', {
    timeout: 300_000,
  }, async () => {
    const topic = 'summa-faults-cluster'
    const system = await startSystem({ databaseUrl, bootstrap, topic, dir, replication: 3 })
    const ledgerFile = path.join(dir, 'ledger.jsonl')
    const driver = new TrafficDriver({
      address: system.grpcAddress,
      ledgerFile,
      ratePerSecond: rate,
    })
    const admin = createAdmin(bootstrap.split(','), 'summa-faults-cluster')
    const probe = createSql({ url: databaseUrl, poolSize: 1, applicationName: 'summa-faults-probe' })
    try {
      await waitUntilHealthy(system, 90_000)
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true })
      const partitions = [...(metadata.topics.get(topic)?.partitions ?? [])]
      assert.equal(partitions.length, 6)
      for (const partition of partitions) assert.equal(partition.replicas.length, 3, 'replication factor 3')
      const leads = new Map<number, number>()
      for (const partition of partitions) leads.set(partition.leader, (leads.get(partition.leader) ?? 0) + 1)
      const [victim] = [...leads.entries()].sort((a, b) => b[1] - a[1])[0]!
      driver.start()
      await eventually(() => assert.ok(driver.stats.ok >= rate), 30_000)

      const pid = Number(
        (await readFile(path.join(dataDir, 'kafka', `node-${victim}`, 'broker.pid'), 'utf8')).trim(),
      )
      process.kill(pid, 'SIGKILL')
      const killedAt = Date.now()
      // Recovered: an event acknowledged after the kill went through relay, the surviving brokers and the aggregator.
      const first = await eventually(() => {
        const ok = driver.firstOkAfter(killedAt + 500)
        assert.ok(ok !== undefined)
        return ok
      }, 60_000)
      const endToEndAt = await eventually(
        async () => {
          const [row] = await probe`select 1 from applied_events where request_id = ${first.requestId}`
          assert.ok(row !== undefined)
          return Date.now()
        },
        120_000,
        50,
      )
      await driver.moreOk(rate * 3)
      const sent = await driver.stop()
      // The killed node comes back (what an operator's unit would do); not needed for recovery.
      await cluster('start', dataDir)
      const verifySql = createSql({ url: databaseUrl, poolSize: 2, applicationName: 'summa-faults-verify' })
      const report = await verify({
        sql: verifySql,
        topic,
        ledgerFile,
        auditFile: path.join(system.dataDir, 'audit.jsonl'),
        settleMs: 120_000,
      }).finally(() => verifySql.end({ timeout: 5 }))
      const row = {
        scenario: 'kill -9 partition leader (3 brokers)',
        faults: `SIGKILL of broker ${victim}, leader of ${leads.get(victim)} of 6 partitions; RF 3, min.insync.replicas 2, acks=all`,
        requests: report.requests,
        attempts: report.attempts,
        duplicateSends: report.duplicateSends,
        acknowledged: report.acknowledged,
        unknownCommitted: report.unknownCommitted,
        lost: report.lost,
        duplicated: report.duplicated,
        phantom: report.phantom,
        endToEndAfterMs: endToEndAt - killedAt,
        verifiedAfterMs: Date.now() - killedAt,
        unresolved: sent.unresolved,
      }
      await writeFile(path.join(resultsDir, 'three-brokers.json'), `${JSON.stringify(row, null, 2)}\n`)
      process.stdout.write(`\n${JSON.stringify(row)}\n`)
      assert.equal(report.ok, true, JSON.stringify(report))
    } finally {
      await driver.stop().catch(() => {})
      await probe.end({ timeout: 5 })
      await admin.close().catch(() => {})
      await system.stop()
    }
  })
})
