import path from 'node:path'
import { parseArgs } from 'node:util'
import type { Config } from '../shared/config.ts'
import { ErrorCodes, SummaError } from '../shared/errors.ts'

type Service = 'calculator' | 'relay' | 'aggregator'

export type ReplicaCounts = Record<Service, number>

/** One process `summa up` starts: its name, its own settings and where it answers. */
export interface PlannedReplica {
  service: Service
  name: string
  env: Record<string, string>
  /** The port of its /health (and /metrics). */
  httpPort: number
  /** The calculator's gRPC port. */
  grpcPort?: number
  /** The aggregator's data dir (sum.txt, audit.jsonl). */
  dataDir?: string
}

/** Replica n listens on the configured port + (n - 1) × this: 9090, 9190, … */
export const replicaPortStep = 100

/** `--replicas N` for every service, or `--calculators/--relays/--aggregators N` each (1 to 8). */
export function parseReplicaCounts(args: string[]): ReplicaCounts {
  const { values } = parseArgs({
    args,
    options: {
      replicas: { type: 'string' },
      calculators: { type: 'string' },
      relays: { type: 'string' },
      aggregators: { type: 'string' },
    },
  })
  const count = (value: string | undefined, fallback: number, name: string): number => {
    if (value === undefined) return fallback
    const n = Number(value)
    if (!Number.isInteger(n) || n < 1 || n > 8)
      throw new SummaError(ErrorCodes.INVALID_ARGUMENT, `--${name} must be a whole number from 1 to 8`)
    return n
  }
  const all = count(values.replicas, 1, 'replicas')
  return {
    calculator: count(values.calculators, all, 'calculators'),
    relay: count(values.relays, all, 'relays'),
    aggregator: count(values.aggregators, all, 'aggregators'),
  }
}

/**
 * Ports, data dirs and names for every replica. The first replica of each
 * service is exactly the single-replica setup (same ports, same data dir);
 * replica n adds (n - 1) × 100 to each of its ports, and an aggregator past the
 * first keeps its files in `<data dir>/aggregator-n` (each writes its own
 * audit.jsonl; `summa audit export` joins them from PostgreSQL). Replica ids
 * stay the default `<host>-<port>`, distinct by port.
 */
export function planReplicas(config: Config, counts: ReplicaCounts): PlannedReplica[] {
  const plan: PlannedReplica[] = []
  for (const service of ['aggregator', 'relay', 'calculator'] as const) {
    for (let n = 1; n <= counts[service]; n++) {
      const offset = (n - 1) * replicaPortStep
      const name = counts[service] === 1 ? service : `${service}-${n}`
      if (service === 'calculator') {
        const grpcPort = config.SUMMA_GRPC_PORT + offset
        const httpPort = config.SUMMA_CALCULATOR_HTTP_PORT + offset
        plan.push({
          service,
          name,
          httpPort,
          grpcPort,
          env: {
            SUMMA_GRPC_PORT: String(grpcPort),
            SUMMA_CALCULATOR_HTTP_PORT: String(httpPort),
            // The seeds' fixed ports can be bound once only: by the first calculator.
            ...(n > 1 ? { SUMMA_COMPAT_PORTS: 'false' } : {}),
          },
        })
      } else if (service === 'relay') {
        const httpPort = config.SUMMA_RELAY_HTTP_PORT + offset
        plan.push({ service, name, httpPort, env: { SUMMA_RELAY_HTTP_PORT: String(httpPort) } })
      } else {
        const apiPort = config.SUMMA_HTTP_PORT + offset
        // Its /health is on its ops port when it has one.
        const opsPort =
          config.SUMMA_AGGREGATOR_OPS_PORT === undefined
            ? undefined
            : config.SUMMA_AGGREGATOR_OPS_PORT + offset
        const dataDir = n === 1 ? config.SUMMA_DATA_DIR : path.join(config.SUMMA_DATA_DIR, `aggregator-${n}`)
        plan.push({
          service,
          name,
          httpPort: opsPort ?? apiPort,
          dataDir,
          env: {
            SUMMA_HTTP_PORT: String(apiPort),
            ...(opsPort === undefined ? {} : { SUMMA_AGGREGATOR_OPS_PORT: String(opsPort) }),
            SUMMA_DATA_DIR: dataDir,
            ...(n > 1 ? { SUMMA_COMPAT_PORTS: 'false' } : {}),
          },
        })
      }
    }
  }
  return plan
}
