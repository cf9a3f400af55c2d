import assert from 'node:assert/strict'
import { setTimeout as delay } from 'node:timers/promises'
import { eventually } from '../helpers/eventually.ts'
import { healthCheck } from '../helpers/grpc.ts'
import { healthStatus, type ServiceName, type SystemUnderTest } from './system-under-test.ts'

const services: readonly ServiceName[] = ['calculator', 'relay', 'aggregator']

export interface OutageWatch {
  /** Per service, ms from the start of the watch to its first `/health` 503 (status fail). */
  notReadyAfterMs: Partial<Record<ServiceName, number>>
  /** ms to the calculator's first grpc.health.v1 NOT_SERVING. */
  grpcNotServingAfterMs: number | undefined
  /** Answers other than 503 after a service's first 503 (0 = no answer: the process was gone). */
  otherAnswers: number[]
}

/**
 * Polls every service's readiness until `until` (epoch ms) while a dependency
 * is down. Once a service has said 503 it must keep saying so: a 200 would be
 * a lie, and no answer (0) means the process went away. Before its first 503
 * anything goes (the last probe's 200, a process still starting); a process
 * that exited in that window shows in the supervisor's restart count.
 */
export async function watchNotReady(
  system: SystemUnderTest,
  since: number,
  until: number,
): Promise<OutageWatch> {
  const watch: OutageWatch = { notReadyAfterMs: {}, grpcNotServingAfterMs: undefined, otherAnswers: [] }
  while (Date.now() < until) {
    for (const name of services) {
      const status = await healthStatus(system.healthPorts[name])
      if (status === 503) watch.notReadyAfterMs[name] ??= Date.now() - since
      else if (watch.notReadyAfterMs[name] !== undefined) watch.otherAnswers.push(status)
    }
    if (watch.grpcNotServingAfterMs === undefined) {
      const grpc = await healthCheck(system.grpcAddress).catch(() => 'NO ANSWER')
      if (grpc === 'NOT_SERVING') watch.grpcNotServingAfterMs = Date.now() - since
    }
    await delay(200)
  }
  return watch
}

/** Waits until all three services say ready again (and gRPC SERVING); returns when, in epoch ms. */
export async function waitUntilReadyAgain(system: SystemUnderTest, timeoutMs: number): Promise<number> {
  return eventually(
    async () => {
      for (const name of services) assert.equal(await healthStatus(system.healthPorts[name]), 200, name)
      assert.equal(await healthCheck(system.grpcAddress), 'SERVING')
      return Date.now()
    },
    timeoutMs,
    100,
  )
}

/** Sum of the supervisor's restarts over the three services. */
export function restartsOf(system: SystemUnderTest): number {
  return services.reduce((sum, name) => sum + system.services[name].restarts, 0)
}

/** The assertions every database-outage case makes on what the watch saw. */
export function assertRodeOut(watch: OutageWatch, restarts: number): void {
  assert.equal(restarts, 0, 'no service exited while PostgreSQL was down')
  assert.deepEqual(watch.otherAnswers, [], 'every service answered 503 throughout the outage')
  for (const name of services)
    assert.ok(
      watch.notReadyAfterMs[name] !== undefined,
      `${name} /health said fail while PostgreSQL was down`,
    )
  assert.ok(watch.grpcNotServingAfterMs !== undefined, 'the calculator said NOT_SERVING over gRPC')
}
