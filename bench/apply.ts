import { randomUUID, randomUUIDv7 } from 'node:crypto'
import path from 'node:path'
import postgres from 'postgres'
import { serviceNodeFlags } from '../src/cli/service-runtime.ts'
import { generateEventKey } from '../src/shared/event-keys.ts'
import { parseEventKey, signEvent } from '../src/shared/event-signature.ts'
import { encodeSumEvent, type SumEvent } from '../src/shared/sum-event.ts'
import { BenchProcess, httpOk, waitFor } from './bench-process.ts'
import { migrateBenchDatabase, openBenchSession, startBenchDependencies, summaCli } from './bench-session.ts'
import { cpuSeconds, memoryMb, treeCpuSeconds } from './proc-stats.ts'

/**
 * The aggregator's catch-up on its own: a PostgreSQL cluster and a broker of
 * the bench's own, the relay and the aggregator (compiled build, the services'
 * V8 settings). Each round commits APPLY_ROWS signed outbox rows in one
 * transaction, as a backlog, and times the aggregator from the round's start
 * until every event is in the total, with the aggregator's, the relay's and
 * PostgreSQL's CPU time per event, and both services' peak resident memory.
 *
 *   node bench/apply.ts            # APPLY_ROWS=40000 APPLY_ROUNDS=3
 *   APPLY_PROFILE=1 node bench/apply.ts   # also V8 CPU profiles of both services
 *
 * `make bench` measures the whole pipeline under load; this is the quieter
 * measurement for working on the aggregator's per-event cost.
 */
const rows = Number(process.env.APPLY_ROWS ?? 40_000)
const rounds = Number(process.env.APPLY_ROUNDS ?? 3)
const ports = { pg: 19510, kafka: 19520, http: 19531, relayHttp: 19533 }
const session = await openBenchSession('apply', 10)
const { work, logs } = session

await session.run(applyRounds)

async function applyRounds(): Promise<void> {
  const { pg, bootstrap } = await startBenchDependencies(session, ports)
  const keyText = generateEventKey()
  const key = parseEventKey(keyText, 'SUMMA_EVENT_SIGNING_KEY')
  const env = {
    ...process.env,
    DATABASE_URL: pg.url,
    KAFKA_BOOTSTRAP_SERVERS: bootstrap,
    SUMMA_DATA_DIR: path.join(work, 'data'),
    SUMMA_HTTP_PORT: String(ports.http),
    SUMMA_RELAY_HTTP_PORT: String(ports.relayHttp),
    SUMMA_EVENT_SIGNING_KEY: keyText,
    SUMMA_LOG_LEVEL: 'warn',
  }
  await migrateBenchDatabase(env, `${logs}/apply.log`)
  const profile = (name: string) =>
    process.env.APPLY_PROFILE === '1'
      ? ['--cpu-prof', `--cpu-prof-dir=${path.join(logs, 'profiles')}`, `--cpu-prof-name=${name}.cpuprofile`]
      : []
  const service = (name: 'relay' | 'aggregator') => {
    const child = new BenchProcess(
      name,
      process.execPath,
      [...serviceNodeFlags, ...profile(name), summaCli, name],
      env,
      `${logs}/apply-${name}.log`,
    )
    session.defer(() => child.stop())
    return child
  }
  const relay = service('relay')
  const aggregator = service('aggregator')
  await waitFor('relay', 60_000, () => httpOk(`http://127.0.0.1:${ports.relayHttp}/health`))
  await waitFor('aggregator', 60_000, () => httpOk(`http://127.0.0.1:${ports.http}/health`))

  const sql = postgres(pg.url, { max: 1, onnotice: () => {} })
  session.defer(() => sql.end())
  for (let round = 1; round <= rounds; round++) {
    // Events as the calculator writes them: signed v1 payloads, time-ordered event ids.
    const acceptedAt = new Date().toISOString()
    const events: SumEvent[] = Array.from({ length: rows }, (_, i) => ({
      v: 1,
      eventId: randomUUIDv7(),
      requestId: randomUUID(),
      num1: String(i),
      num2: '2',
      sum: String(i + 2),
      acceptedAt,
    }))
    const applied = async () => {
      const [row] = await sql<
        { n: string }[]
      >`select coalesce(sum(applied_count), 0)::text as n from partition_totals`
      return Number(row?.n ?? 0)
    }
    const target = (await applied()) + rows
    const cpu = () => ({
      aggregator: cpuSeconds(aggregator.pid),
      relay: cpuSeconds(relay.pid),
      postgres: treeCpuSeconds(pg.postmasterPid),
    })
    const before = cpu()
    const started = performance.now()
    await sql`
      insert into outbox (event_id, message_key, payload, signature)
      select * from unnest(${events.map((e) => e.eventId)}::uuid[], ${events.map((e) => e.requestId)}::text[],
                           ${events.map(encodeSumEvent)}::text[], ${events.map((e) => signEvent(key, e))}::text[])`
    await waitFor('backlog applied', 120_000, async () => (await applied()) >= target)
    const seconds = (performance.now() - started) / 1000
    const after = cpu()
    const perEvent = (name: keyof typeof before) => (((after[name] - before[name]) / rows) * 1e6).toFixed(1)
    console.log(
      `round ${round}: ${rows} events applied in ${seconds.toFixed(2)} s = ${Math.round(rows / seconds)}/s; ` +
        `CPU µs per event: aggregator ${perEvent('aggregator')}, relay ${perEvent('relay')}, postgres ${perEvent('postgres')}; ` +
        `peak RSS MB: aggregator ${memoryMb(aggregator.pid).peakRssMb}, relay ${memoryMb(relay.pid).peakRssMb}`,
    )
  }
}
