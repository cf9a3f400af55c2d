import { setTimeout as delay } from 'node:timers/promises'
import { type OutageWatch, restartsOf, waitUntilReadyAgain, watchNotReady } from './outage-watch.ts'
import type { PostgresCluster } from './postgres-cluster.ts'
import type { Supervised } from './supervisor.ts'
import type { ServiceName, SystemUnderTest } from './system-under-test.ts'

export interface FaultContext {
  system: SystemUnderTest
  broker: Supervised
  postgres: PostgresCluster
  /** Notes the scenario makes while the fault is on (e.g. readiness seen failing). */
  note: (key: string, value: string | number | boolean) => void
  /** Set by an outage every service must ride out: checked after the verifier (assertRodeOut). */
  outage?: { watch: OutageWatch; restartsBefore: number }
}

export interface Scenario {
  name: string
  faults: string
  /** Injects the fault and returns when it ended (epoch ms): the clock for recovery starts there. */
  inject: (context: FaultContext) => Promise<number>
}

/** Pauses long enough that every client deadline (1 s) and the server's Add timeout (0.9 s) expire. */
const pauseMs = 3000

/** SIGKILL of `service` under traffic, `times` times, each after its supervisor restarted it. */
export function kill9(service: ServiceName, times: number): Scenario {
  return {
    name: `kill -9 ${service}`,
    faults: `SIGKILL of the ${service} under traffic, ${times}×; restarted by its supervisor`,
    inject: async ({ system }) => {
      let last = 0
      for (let i = 0; i < times; i++) {
        if (i > 0) await delay(1500 + Math.random() * 1000)
        system.services[service].signal('SIGKILL')
        last = Date.now()
        // Wait for the restart before the next kill, so each one hits a working process.
        const before = system.services[service].restarts
        while (system.services[service].restarts === before) await delay(20)
      }
      return last
    },
  }
}

function pause(service: ServiceName): Scenario {
  return {
    name: `SIGSTOP ${service}`,
    faults: `SIGSTOP of the ${service} for ${pauseMs / 1000} s (longer than the 1 s client deadline), then SIGCONT`,
    inject: async ({ system }) => {
      system.services[service].signal('SIGSTOP')
      await delay(pauseMs)
      system.services[service].signal('SIGCONT')
      return Date.now()
    },
  }
}

/**
 * PostgreSQL crashed under traffic and kept down for `downS` seconds: every
 * service must stay up (no restart by its supervisor), report not ready the
 * whole time, and become ready and lose nothing once it is back.
 */
function postgresOutage(downS: number): Scenario {
  return {
    name: `PostgreSQL down ${downS} s`,
    faults: `PostgreSQL crash (pg_ctl stop -m immediate) under traffic, down ${downS} s, then started; no service may exit`,
    inject: async (context) => {
      const { system, postgres, note } = context
      const restartsBefore = restartsOf(system)
      await postgres.stop('immediate')
      const down = Date.now()
      const watch = await watchNotReady(system, down, down + downS * 1000)
      context.outage = { watch, restartsBefore }
      await postgres.start()
      const up = Date.now()
      const readyAt = await waitUntilReadyAgain(system, 90_000)
      for (const [name, ms] of Object.entries(watch.notReadyAfterMs)) note(`${name}HealthFailAfterMs`, ms)
      note('grpcNotServingAfterMs', watch.grpcNotServingAfterMs ?? -1)
      note('readyAgainAfterMs', readyAt - up)
      return up
    },
  }
}

export const scenarios: Scenario[] = [
  kill9('calculator', 2),
  kill9('relay', 2),
  kill9('aggregator', 2),
  {
    name: 'restart Kafka broker',
    faults: 'SIGKILL of the (only) broker under traffic; restarted by its supervisor on the same data',
    inject: async ({ broker }) => {
      const before = broker.restarts
      broker.signal('SIGKILL')
      while (broker.restarts === before) await delay(20)
      return Date.now()
    },
  },
  {
    name: 'restart PostgreSQL',
    faults: `PostgreSQL crash (pg_ctl stop -m immediate), down ${pauseMs / 1000} s, then started again`,
    inject: async ({ system, postgres, note }) => {
      await postgres.stop('immediate')
      const down = Date.now()
      // Readiness must turn within one probe period (1 s) plus a probe timeout; liveness must not.
      const { healthStatus } = await import('./system-under-test.ts')
      let notReadyAfterMs: number | undefined
      let liveFailed = false
      while (Date.now() - down < pauseMs) {
        if (notReadyAfterMs === undefined && (await healthStatus(system.healthPorts.calculator)) === 503)
          notReadyAfterMs = Date.now() - down
        const live = await fetch(`http://127.0.0.1:${system.healthPorts.calculator}/health/live`, {
          signal: AbortSignal.timeout(1000),
        }).then(
          (response) => response.status,
          () => 0,
        )
        if (live !== 200) liveFailed = true
        await delay(100)
      }
      note('calculatorNotReadyAfterMs', notReadyAfterMs ?? -1)
      note('livenessFailed', liveFailed)
      await postgres.start()
      return Date.now()
    },
  },
  postgresOutage(10),
  postgresOutage(60),
  pause('calculator'),
  pause('relay'),
  pause('aggregator'),
]
