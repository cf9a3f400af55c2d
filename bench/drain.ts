import path from 'node:path'
import postgres from 'postgres'
import { serviceNodeFlags } from '../src/cli/service-runtime.ts'
import { BenchProcess, httpOk, waitFor } from './bench-process.ts'
import { migrateBenchDatabase, openBenchSession, startBenchDependencies, summaCli } from './bench-session.ts'
import { measureDrain } from './drain-rate.ts'
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
const rows = Number(process.env.DRAIN_ROWS ?? 60_000)
const rounds = Number(process.env.DRAIN_ROUNDS ?? 5)
const ports = { pg: 19510, kafka: 19520, relayHttp: 19533 }
const session = await openBenchSession('drain', 10)
const { work, logs } = session

await session.run(drainRounds)

async function drainRounds(): Promise<void> {
  const { pg, bootstrap } = await startBenchDependencies(session, ports)

  const env = {
    ...process.env,
    DATABASE_URL: pg.url,
    KAFKA_BOOTSTRAP_SERVERS: bootstrap,
    SUMMA_DATA_DIR: path.join(work, 'data'),
    SUMMA_RELAY_HTTP_PORT: String(ports.relayHttp),
    SUMMA_LOG_LEVEL: 'warn',
  }
  await migrateBenchDatabase(env, `${logs}/drain.log`)
  const profile =
    process.env.DRAIN_PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${path.join(logs, 'profiles')}`] : []
  const relay = new BenchProcess(
    'relay',
    process.execPath,
    [...serviceNodeFlags, ...profile, summaCli, 'relay'],
    env,
    `${logs}/drain-relay.log`,
  )
  session.defer(() => relay.stop())
  await waitFor('relay', 60_000, () => httpOk(`http://127.0.0.1:${ports.relayHttp}/health`))

  const sql = postgres(pg.url, { max: 1, onnotice: () => {} })
  session.defer(() => sql.end())
  const rates: number[] = []
  for (let round = 1; round <= rounds; round++) {
    // The payloads look like the calculator's: a v1 event and a traceparent.
    const [{ now: since } = { now: new Date() }] = await sql<{ now: Date }[]>`select clock_timestamp() as now`
    const [last = { transaction_id: '0', id: '0' }] = await sql<{ transaction_id: string; id: string }[]>`
      with inserted as (
        insert into outbox (event_id, message_key, payload, traceparent)
        select e, r::text,
               json_build_object('v', 1, 'eventId', e, 'requestId', r, 'num1', n::text, 'num2', '2',
                                 'sum', (n + 2)::text, 'acceptedAt', now())::text,
               '00-' || md5(r::text) || '-' || left(md5(e::text), 16) || '-01'
        from (select gen_random_uuid() as e, gen_random_uuid() as r, n
              from generate_series(1, ${rows}) as n) as t
        returning transaction_id, id)
      select transaction_id::text, max(id)::text as id from inserted group by transaction_id`
    const cpuBefore = cpuSeconds(relay.pid)
    const drain = await measureDrain(
      sql,
      { transactionId: last.transaction_id, outboxId: last.id },
      since,
      120_000,
    )
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
