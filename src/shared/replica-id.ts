import { hostname } from 'node:os'
import type { Config } from './config.ts'

type Service = 'calculator' | 'relay' | 'aggregator'

/**
 * The name of one running copy of a service: SUMMA_REPLICA_ID, or
 * `<host>-<port>` with the port that replica alone listens on (two replicas
 * on one host differ by port, on two hosts by host name). It ends up in the
 * Kafka client id, every log line, the `summa_replica_info` gauge and the
 * trace resource, so a consumer-group member, a log line and a scrape can be
 * traced back to one process.
 */
export function replicaIdOf(config: Config, service: Service): string {
  if (config.SUMMA_REPLICA_ID !== undefined) return config.SUMMA_REPLICA_ID
  const port = {
    calculator: config.SUMMA_GRPC_PORT,
    relay: config.SUMMA_RELAY_HTTP_PORT,
    aggregator: config.SUMMA_HTTP_PORT,
  }[service]
  return `${hostname()}-${port}`.replace(/[^A-Za-z0-9._-]/g, '_')
}
