import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import { serviceNodeFlags } from '../src/cli/service-runtime.ts'
import { kafkaAnswers } from '../src/shared/kafka.ts'
import { BenchProcess, httpOk, waitFor } from './bench-process.ts'
import { measureDrain } from './drain-rate.ts'
import { startPgCluster } from './pg-cluster.ts'
import { cpuSeconds } from './proc-stats.ts'

/**
 * The relay's drain rate on its own: a PostgreSQL cluster and a broker of
 * the bench's own, the relay (compiled build, the services' V8 settings) and
 * nothing else. Each round commits DRAIN_ROWS outbox rows in one transaction,
 * as a backlog that built up during an outage, and times the relay from the
 * first publish to the last, with the relay's CPU time per event.
 *
 *   node bench/drain.ts            # DRAIN_ROWS=60000 DRAIN_ROUNDS=5
 *   DRAIN_PROFILE=1 node bench/drain.ts   # also a V8 CPU profile of the relay
 *
 * `make bench` measures the drain after a real outage under load; this is
 * the quieter measurement for working on the relay itself.
 */
const root = fileURLToPath(new URL('../', import.meta.url))
const rows = Number(process.env.DRAIN_ROWS ?? 60_000)
const rounds = Number(process.env.DRAIN_ROUNDS ?? 5)
const ports = { pg: 19510, kafka: 19520, relayHttp: 19533 }
const logs = path.join(root, 'results/tmp')
await mkdir(logs, { recursive: true })
const work = await mkdtemp(path.join(os.tmpdir(), 'summa-drain-'))
await chmod(work, 0o755)
const cleanups: Array<() => Promise<void> | void> = []
const cleanup = async (): Promise<void> => {
  for (const step of cleanups.reverse()) await Promise.resolve(step()).catch(() => {})
  cleanups.length = 0
  await rm(work, { recursive: true, force: true })
}
const budget = setTimeout(() => {
  console.error('drain: over its 10-minute budget; stopping')
  void cleanup().finally(() => process.exit(1))
}, 10 * 60_000)
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)))

try {
  await drainRounds()
} finally {
  clearTimeout(budget)
  await cleanup()
}

async function drainRounds(): Promise<void> {
  const pg = startPgCluster(path.join(work, 'pg'), ports.pg)
  cleanups.push(() => pg.stop())
  const bootstrap = `127.0.0.1:${ports.kafka}`
  const kafka = new BenchProcess(
    'kafka',
    path.join(root, 'scripts/kafka/run.sh'),
    [],
    {
      ...process.env,
      SUMMA_DATA_DIR: path.join(work, 'kafka'),
      KAFKA_PORT: String(ports.kafka),
      KAFKA_CONTROLLER_PORT: String(ports.kafka + 1),
    },
    `${logs}/drain-kafka.log`,
  )
  cleanups.push(() => kafka.stop(60_000))
  await waitFor('kafka', 180_000, () => kafkaAnswers([bootstrap], 'summa-drain'))

  const summaCli = path.join(root, 'dist/bin/summa.js')
  const env = {
    ...process.env,
    DATABASE_URL: pg.url,
    KAFKA_BOOTSTRAP_SERVERS: bootstrap,
    SUMMA_DATA_DIR: path.join(work, 'data'),
    SUMMA_RELAY_HTTP_PORT: String(ports.relayHttp),
    SUMMA_LOG_LEVEL: 'warn',
  }
  const migrate = new BenchProcess(
    'migrate',
    process.execPath,
    [summaCli, 'migrate'],
    env,
    `${logs}/drain.log`,
  )
  if ((await migrate.exited) !== 0) throw new Error(`summa migrate failed; see ${logs}/drain.log`)
  const profile =
    process.env.DRAIN_PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${path.join(logs, 'profiles')}`] : []
  const relay = new BenchProcess(
    'relay',
    process.execPath,
    [...serviceNodeFlags, ...profile, summaCli, 'relay'],
    env,
    `${logs}/drain-relay.log`,
  )
  cleanups.push(() => relay.stop())
  await waitFor('relay', 60_000, () => httpOk(`http://127.0.0.1:${ports.relayHttp}/health`))

  const sql = postgres(pg.url, { max: 1, onnotice: () => {} })
  cleanups.push(() => sql.end())
  const rates: number[] = []
  for (let round = 1; round <= rounds; round++) {
    // The payloads look like the calculator's: a v1 event and a traceparent.
    const [{ last_id: lastId } = { last_id: '0' }] = await sql<{ last_id: string }[]>`
      with inserted as (
        insert into outbox (event_id, message_key, payload, traceparent)
        select e, r::text,
               json_build_object('v', 1, 'eventId', e, 'requestId', r, 'num1', n::text, 'num2', '2',
                                 'sum', (n + 2)::text, 'acceptedAt', now())::text,
               '00-' || md5(r::text) || '-' || left(md5(e::text), 16) || '-01'
        from (select gen_random_uuid() as e, gen_random_uuid() as r, n
              from generate_series(1, ${rows}) as n) as t
        returning id)
      select max(id)::text as last_id from inserted`
    const cpuBefore = cpuSeconds(relay.pid)
    const drain = await measureDrain(sql, lastId, new Date(0), 120_000)
    const cpu = cpuSeconds(relay.pid) - cpuBefore
    rates.push(drain.ratePerS)
    console.log(
      `round ${round}: ${drain.published} events in ${drain.seconds.toFixed(3)} s = ${drain.ratePerS}/s ` +
        `(after the first pass); relay CPU ${((cpu / rows) * 1e6).toFixed(1)} µs per event`,
    )
    await sql`delete from outbox`
  }
  const sorted = [...rates].sort((a, b) => a - b)
  console.log(`median ${sorted[Math.floor(sorted.length / 2)]}/s, range ${sorted[0]}–${sorted.at(-1)}/s`)
}
