import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { status } from '@grpc/grpc-js'
import { CalculatorClient } from '../../src/shared/calculator-client.ts'
import { LedgerWriter, outcomeOf } from '../../src/shared/ledger.ts'
import { eventually } from '../helpers/eventually.ts'
import { healthCheck } from '../helpers/grpc.ts'
import { assertRodeOut, restartsOf, waitUntilReadyAgain, watchNotReady } from './outage-watch.ts'
import type { PostgresCluster } from './postgres-cluster.ts'
import type { Supervised } from './supervisor.ts'
import { healthStatus, type SystemUnderTest } from './system-under-test.ts'

export interface DependencyContext {
  system: SystemUnderTest
  broker: Supervised
  postgres: PostgresCluster
  ledgerFile: string
  note: (key: string, value: string | number | boolean) => void
}

/** How long a dependency stays down: several probe periods and breaker windows. */
const downMs = 4000

/** How long the services run without PostgreSQL after starting: several retries each. */
const startDownMs = 10_000

async function liveStatus(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(1000) })
  await response.arrayBuffer()
  return response.status
}

async function breakerState(port: number): Promise<number | undefined> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(1000) })
  const match = /summa_circuit_breaker_state\{[^}]*breaker="postgres"[^}]*\} (\d)/.exec(await response.text())
  return match === null ? undefined : Number(match[1])
}

/** Sends one Add, records it in the ledger, returns its status and how long it took. */
/**
 * One Add, recorded in the ledger. With `attempts` > 1 an answer that leaves the
 * outcome unknown (DEADLINE_EXCEEDED, UNAVAILABLE) is retried with the same
 * request id, as a client does; the last attempt's code is returned.
 */
async function add(client: CalculatorClient, ledger: LedgerWriter, deadlineMs: number, attempts = 1) {
  const requestId = randomUUID()
  let code: status = status.OK
  let latencyMs = 0
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const started = Date.now()
    code = status.OK
    let sum: string | undefined
    try {
      sum = (await client.add({ requestId, num1: '20', num2: '22', deadlineMs })).sum
    } catch (error) {
      code = (error as { code?: status }).code ?? status.UNKNOWN
    }
    latencyMs = Date.now() - started
    await ledger.record({
      v: 1,
      requestId,
      num1: '20',
      num2: '22',
      outcome: outcomeOf(code),
      code: status[code] ?? String(code),
      ...(sum === undefined ? {} : { sum, replayed: attempt > 1 }),
      attempt,
      scheduledAt: new Date(started).toISOString(),
      latencyMs,
    })
    if (outcomeOf(code) !== 'unknown') break
  }
  return { code, latencyMs }
}

/**
 * PostgreSQL down: every Add is answered UNAVAILABLE within its deadline (the
 * breaker opens after its volume threshold and then refuses at once),
 * readiness turns NOT_SERVING within a probe period, liveness stays up; after
 * PostgreSQL returns the breaker closes and Adds succeed again by themselves.
 */
export async function postgresDown({ system, postgres, ledgerFile, note }: DependencyContext): Promise<void> {
  const client = new CalculatorClient(system.grpcAddress)
  const ledger = new LedgerWriter(ledgerFile)
  const port = system.healthPorts.calculator
  try {
    for (let i = 0; i < 20; i++) assert.equal((await add(client, ledger, 2000)).code, status.OK)
    assert.equal(await breakerState(port), 0)
    await postgres.stop('immediate')
    const down = Date.now()
    const deadlineMs = 2000
    const answers: Array<{ code: status; latencyMs: number }> = []
    let notReadyAfterMs: number | undefined
    let grpcNotServingAfterMs: number | undefined
    while (Date.now() - down < downMs) {
      answers.push(await add(client, ledger, deadlineMs))
      if (notReadyAfterMs === undefined && (await healthStatus(port)) === 503)
        notReadyAfterMs = Date.now() - down
      if (grpcNotServingAfterMs === undefined && (await healthCheck(system.grpcAddress)) === 'NOT_SERVING')
        grpcNotServingAfterMs = Date.now() - down
      assert.equal(await liveStatus(port), 200, 'liveness does not depend on PostgreSQL')
    }
    const openState = await breakerState(port)
    if (process.env.SUMMA_FAULTS_DEBUG) {
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text())
      console.log(
        metrics
          .split('\n')
          .filter((l) => /breaker|group_commit|grpc_requests/.test(l))
          .join('\n'),
      )
    }
    await postgres.start()
    const up = Date.now()
    const recovered = await eventually(async () => {
      assert.equal((await add(client, ledger, deadlineMs)).code, status.OK)
      return Date.now() - up
    }, 30_000)
    await eventually(async () => assert.equal(await breakerState(port), 0), 10_000)
    await eventually(async () => assert.equal(await healthStatus(port), 200), 10_000)

    const codes = [...new Set(answers.map((answer) => status[answer.code]))]
    const slowest = Math.max(...answers.map((answer) => answer.latencyMs))
    note('addsWhileDown', answers.length)
    note('codesWhileDown', codes.join(','))
    note('slowestAnswerMs', slowest)
    note('readinessFailedAfterMs', notReadyAfterMs ?? -1)
    note('grpcNotServingAfterMs', grpcNotServingAfterMs ?? -1)
    note('breakerStateWhileDown', openState ?? -1)
    note('addOkAfterRestartMs', recovered)
    assert.deepEqual(codes, ['UNAVAILABLE'], 'every Add while PostgreSQL is down answers UNAVAILABLE')
    assert.ok(slowest < deadlineMs, `every answer within the deadline (slowest ${slowest} ms)`)
    assert.equal(openState, 2, 'the breaker opened')
    assert.ok(
      notReadyAfterMs !== undefined && notReadyAfterMs <= 2000,
      `/health 503 after ${notReadyAfterMs} ms`,
    )
    assert.ok(
      grpcNotServingAfterMs !== undefined && grpcNotServingAfterMs <= 2000,
      'grpc.health.v1 NOT_SERVING',
    )
  } finally {
    await ledger.close()
    client.close()
  }
}

/**
 * Kafka down: Adds keep succeeding (the outbox holds the events), relay and
 * aggregator report NOT_SERVING, the calculator stays ready; when the broker
 * returns, the backlog drains by itself.
 */
export async function kafkaDown({ system, broker, ledgerFile, note }: DependencyContext): Promise<number> {
  const client = new CalculatorClient(system.grpcAddress)
  const ledger = new LedgerWriter(ledgerFile)
  try {
    for (let i = 0; i < 20; i++) assert.equal((await add(client, ledger, 2000)).code, status.OK)
    await broker.hold()
    const down = Date.now()
    const notReady: Record<string, number> = {}
    let adds = 0
    while (Date.now() - down < downMs || Object.keys(notReady).length < 2) {
      // Retried with the same id when the answer is unknown: a commit can outlive its
      // deadline while the stopping broker flushes its logs to the same disk; what
      // must hold is that Kafka being down never makes an Add fail.
      assert.equal((await add(client, ledger, 2000, 3)).code, status.OK, 'Add succeeds while Kafka is down')
      adds++
      for (const name of ['relay', 'aggregator'] as const)
        if (notReady[name] === undefined && (await healthStatus(system.healthPorts[name])) === 503)
          notReady[name] = Date.now() - down
      assert.equal(
        await healthStatus(system.healthPorts.calculator),
        200,
        'the calculator does not need Kafka',
      )
      assert.equal(await liveStatus(system.healthPorts.relay), 200)
      assert.ok(Date.now() - down < 30_000, 'relay and aggregator report Kafka down')
    }
    note('addsWhileDown', adds)
    note('relayNotReadyAfterMs', notReady.relay!)
    note('aggregatorNotReadyAfterMs', notReady.aggregator!)
    assert.ok(notReady.relay! <= 2000 && notReady.aggregator! <= 2000, JSON.stringify(notReady))
    broker.release()
    return Date.now()
  } finally {
    await ledger.close()
    client.close()
  }
}

/**
 * Every service started while PostgreSQL is down: each must come up and say
 * so (503, NOT_SERVING) instead of exiting, keep retrying the database, and
 * become ready once it is back, without a restart; then Adds reach the total.
 * PostgreSQL was stopped by the caller before the services started.
 */
export async function startWhilePostgresDown({
  system,
  postgres,
  ledgerFile,
  note,
}: DependencyContext): Promise<void> {
  const client = new CalculatorClient(system.grpcAddress)
  const ledger = new LedgerWriter(ledgerFile)
  let down = true
  try {
    const since = Date.now()
    const watch = await watchNotReady(system, since, since + startDownMs)
    await postgres.start()
    down = false
    const up = Date.now()
    const readyAt = await waitUntilReadyAgain(system, 90_000)
    for (const [name, ms] of Object.entries(watch.notReadyAfterMs)) note(`${name}HealthFailAfterMs`, ms)
    note('grpcNotServingAfterMs', watch.grpcNotServingAfterMs ?? -1)
    note('readyAfterPostgresStartedMs', readyAt - up)
    note('restarts', restartsOf(system))
    assertRodeOut(watch, restartsOf(system))
    for (let i = 0; i < 20; i++) assert.equal((await add(client, ledger, 2000, 3)).code, status.OK)
    note('addsAfterwards', 20)
  } finally {
    // Never leave the suite's cluster down for the next case.
    if (down) await postgres.start().catch(() => {})
    await ledger.close()
    client.close()
  }
}
