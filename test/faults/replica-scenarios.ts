import { randomInt, randomUUID } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { CalculatorClient } from '../../src/shared/calculator-client.ts'
import type { Sql } from '../../src/shared/db.ts'
import { outcomeOf } from '../../src/shared/ledger.ts'
import type { TrafficDriver } from './driver.ts'
import { type ReplicatedSystem, waitHealthy } from './replica-system.ts'

export interface ReplicaContext {
  system: ReplicatedSystem
  sql: Sql
  topic: string
  driver: TrafficDriver
  note: (key: string, value: string | number | boolean) => void
}

export interface ReplicaScenario {
  name: string
  faults: string
  /** Settings of this scenario's replicas on top of the suite's. */
  env?: Record<string, string>
  /** Injects the fault; returns when it ended (epoch ms). */
  inject: (context: ReplicaContext) => Promise<number>
}

/** The rolling restart's session timeout: long, so that a handover by timeout would show. */
export const gracefulSessionMs = 10_000

/** Longer than the aggregators' 1.2 s session timeout: the group gives the paused member up. */
const pauseMs = 4000

/**
 * Takeover after `at` (epoch ms), as the database saw it: for every partition,
 * the first event applied after `at`; the slowest partition is the one whose
 * aggregator died. Measured once traffic has flowed on well past it.
 */
export async function aggregatorTakeoverMs(sql: Sql, topic: string, at: number): Promise<number> {
  const rows = await sql<{ partition: number; first: Date }[]>`
    select partition, min(applied_at) as first from applied_events
    where topic = ${topic} and applied_at > ${new Date(at)} group by partition`
  if (rows.length === 0) return Number.NaN
  return Math.max(...rows.map((row) => row.first.getTime() - at))
}

/**
 * The last outbox row written before `at` was applied this long after it: the
 * rows a dead relay was publishing wait for the next relay's pass (its cursor
 * lock is released when the database ends the dead one's transaction), then
 * for the aggregator.
 */
export async function relayTakeoverMs(sql: Sql, at: number): Promise<number> {
  const [row] = await sql<{ last: Date | null; waiting: string }[]>`
    select max(a.applied_at) as last, count(*) filter (where a.event_id is null)::text as waiting
    from outbox o left join applied_events a using (event_id) where o.created_at <= ${new Date(at)}`
  if (row === undefined || row.last === null || row.waiting !== '0') return Number.NaN
  return Math.max(0, row.last.getTime() - at)
}

export const replicaScenarios: ReplicaScenario[] = [
  {
    name: 'kill -9 one aggregator of two',
    faults: 'SIGKILL of aggregator-1 under traffic, kept down: aggregator-2 takes its partitions',
    inject: async ({ system }) => {
      const at = Date.now()
      await system.of('aggregator')[0]!.process.crash()
      return at
    },
  },
  {
    name: 'kill -9 one relay of two',
    faults:
      'SIGKILL of relay-1 under traffic, kept down: relay-2 takes the cursor and publishes from where it stood',
    inject: async ({ system }) => {
      const at = Date.now()
      await system.of('relay')[0]!.process.crash()
      return at
    },
  },
  {
    name: 'kill -9 one calculator of two',
    faults: 'SIGKILL of calculator-1 under traffic, kept down: clients go round robin to calculator-2',
    inject: async ({ system }) => {
      const at = Date.now()
      await system.of('calculator')[0]!.process.crash()
      return at
    },
  },
  {
    name: 'kill -9 one of each, at different moments',
    faults: 'SIGKILL of aggregator-1, relay-2, calculator-1, 1 s apart; restarted by their supervisors',
    inject: async ({ system }) => {
      const victims = [system.of('aggregator')[0]!, system.of('relay')[1]!, system.of('calculator')[0]!]
      let at = 0
      for (const [index, victim] of victims.entries()) {
        if (index > 0) await delay(1000)
        at = Date.now()
        victim.process.signal('SIGKILL')
      }
      return at
    },
  },
  {
    name: 'kill -9 one of each, all at once',
    faults:
      'SIGKILL of aggregator-2, relay-1, calculator-2 at the same moment; restarted by their supervisors',
    inject: async ({ system }) => {
      const at = Date.now()
      for (const victim of [system.of('aggregator')[1]!, system.of('relay')[0]!, system.of('calculator')[1]!])
        victim.process.signal('SIGKILL')
      return at
    },
  },
  {
    name: 'SIGSTOP one aggregator past its session',
    faults: `SIGSTOP of aggregator-1 for ${pauseMs / 1000} s (session timeout 1.2 s), then SIGCONT: the zombie must not apply what it lost`,
    inject: async ({ system }) => {
      const victim = system.of('aggregator')[0]!
      const at = Date.now()
      victim.process.signal('SIGSTOP')
      await delay(pauseMs)
      victim.process.signal('SIGCONT')
      return at
    },
  },
  {
    name: 'rolling restart of every replica',
    faults: `each of the 6 replicas in turn: SIGTERM, restart, wait until healthy; under traffic. Session timeout ${gracefulSessionMs / 1000} s here, so a handover well under it shows the stopped aggregator left the group`,
    env: { SUMMA_CONSUMER_SESSION_TIMEOUT_MS: String(gracefulSessionMs) },
    inject: async ({ system, sql, topic, note }) => {
      let last = 0
      for (const replica of system.replicas) {
        const at = Date.now()
        await replica.process.hold()
        if (replica.service === 'aggregator') {
          // A graceful stop leaves the group: the other takes over without a session timeout.
          await delay(4000)
          note(`${replica.id}HandoverMs`, await aggregatorTakeoverMs(sql, topic, at))
        }
        replica.process.release()
        await waitHealthy([replica], 60_000)
        last = Date.now()
      }
      return last
    },
  },
  {
    name: 'same request id to both calculators at once',
    faults:
      '300 request ids each sent to calculator-1 and calculator-2 at the same moment (besides the driver)',
    inject: async ({ system, driver, note }) => {
      const clients = system.grpcAddresses.split(',').map((address) => new CalculatorClient(address))
      let differing = 0
      let ok = 0
      try {
        for (let i = 0; i < 300; i++) {
          const call = {
            requestId: randomUUID(),
            num1: String(randomInt(-1_000_000, 1_000_000)),
            num2: String(randomInt(-1_000_000, 1_000_000)),
            deadlineMs: 5000,
          }
          const scheduled = Date.now()
          const answers = await Promise.allSettled(clients.map((client) => client.add(call)))
          const sums: string[] = []
          for (const [index, answer] of answers.entries()) {
            const code = answer.status === 'fulfilled' ? 0 : ((answer.reason as { code?: number }).code ?? 2)
            if (answer.status === 'fulfilled') sums.push(answer.value.sum)
            await driver.record({
              v: 1,
              requestId: call.requestId,
              num1: call.num1,
              num2: call.num2,
              outcome: outcomeOf(code),
              code: String(code),
              ...(answer.status === 'fulfilled'
                ? { sum: answer.value.sum, replayed: answer.value.replayed }
                : {}),
              attempt: index + 1,
              scheduledAt: new Date(scheduled).toISOString(),
              latencyMs: Date.now() - scheduled,
            })
          }
          ok += sums.length
          if (new Set(sums).size > 1) differing++
        }
      } finally {
        for (const client of clients) client.close()
      }
      note('sameIdAnswersOk', ok)
      note('sameIdAnswersDiffering', differing)
      return Date.now()
    },
  },
]
