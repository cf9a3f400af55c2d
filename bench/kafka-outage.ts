import { sleep } from '../src/shared/sleep.ts'
import type { BenchResults } from './bench-results.ts'
import { benchLog } from './bench-session.ts'
import type { BenchStack } from './bench-stack.ts'
import { measureDrain } from './drain-rate.ts'
import type { RunLoad } from './load-runner.ts'

/**
 * A Kafka outage of `outageS` under `rate` Adds/s: the Adds keep flowing into
 * the outbox while the broker is down, then the relay drains the backlog; the
 * drain rate is read from the relay cursor's commit times (bench/drain-rate.ts).
 */
export async function measureKafkaOutage(
  stack: BenchStack,
  rate: number,
  outageS: number,
  runLoad: RunLoad,
): Promise<BenchResults['outage']> {
  benchLog(`summa: Kafka outage of ${outageS} s under ${rate}/s`)
  const load = runLoad(
    [
      '--grpc',
      stack.grpc.summa,
      '--rate',
      String(rate),
      '--duration',
      `${outageS + 25}s`,
      '--deadline',
      '5000',
    ],
    'outage',
  )
  await sleep(5000)
  await stack.stopKafka()
  const stoppedAt = Date.now()
  benchLog('kafka stopped')
  await sleep(Math.max(0, outageS * 1000 - (Date.now() - stoppedAt)))
  const [atRestart = { pending: '0', last_xid: '0', last_id: '0', now: new Date() }] = await stack.sql<
    { pending: string; last_xid: string; last_id: string; now: Date }[]
  >`
    select (select count(*) from outbox o
            where (o.transaction_id, o.id) > (c.transaction_id, c.outbox_id))::text as pending,
           coalesce(last.transaction_id, c.transaction_id)::text as last_xid,
           coalesce(last.id, c.outbox_id)::text as last_id, clock_timestamp() as now
    from relay_cursor c
    left join lateral (select transaction_id, id from outbox order by transaction_id desc, id desc limit 1) last on true
    where c.name = 'outbox'`
  await stack.startKafka()
  benchLog(`kafka back after ${Math.round((Date.now() - stoppedAt) / 1000)} s; backlog ${atRestart.pending}`)
  const drain = await measureDrain(
    stack.sql,
    { transactionId: atRestart.last_xid, outboxId: atRestart.last_id },
    atRestart.now,
    120_000,
  )
  const report = await load
  await stack.drained()
  const outage = {
    rate,
    outageS,
    backlogAtRestart: Number(atRestart.pending),
    firstPublishAfterRestartS:
      drain.firstPublishAt === null
        ? null
        : Math.round((drain.firstPublishAt.getTime() - atRestart.now.getTime()) / 10) / 100,
    published: drain.published,
    drainSeconds: Math.round(drain.seconds * 1000) / 1000,
    drainRatePerS: drain.ratePerS,
    addErrors: report.errors,
    addLatency: report.byOperation.add!.latency,
  }
  if (outage.drainSeconds === 0)
    benchLog("drain: the backlog went out in the relay's first pass, too short to time; raise BENCH_OUTAGE_S")
  else benchLog(`drain: ${outage.published} events in ${outage.drainSeconds} s = ${outage.drainRatePerS}/s`)
  return outage
}
