import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export interface CalculatorMetrics {
  /**
   * Starts timing one RPC; call the returned function with the gRPC status name.
   * `api` is the gRPC service called: summa.v1's or one of the seed-compatible ones.
   */
  startRpc: (method: string, api?: string) => (code: string) => void
  replays: Counter
  /** Adds refused because of their input, by reason (see rejectionReason). */
  rejected: Counter
  groupCommitRows: Histogram
}

/** The `api` label of calls to summa's own contract. */
const defaultApi = 'summa.v1.CalculatorService'

export function createCalculatorMetrics(registry: Registry): CalculatorMetrics {
  const requests = new Counter({
    name: 'summa_grpc_requests_total',
    help: 'gRPC calls answered, by method, status code and the API (gRPC service) called',
    labelNames: ['method', 'code', 'api'],
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'summa_grpc_request_duration_seconds',
    help: 'gRPC call duration from receipt to answer',
    labelNames: ['method'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  const inFlight = new Gauge({
    name: 'summa_grpc_requests_in_flight',
    help: 'gRPC calls received and not yet answered',
    labelNames: ['method'],
    registers: [registry],
  })
  // Label children are looked up once per (method, code), not hashed on every
  // call: this runs for every Add.
  const perMethod = new Map<
    string,
    { duration: ReturnType<typeof duration.labels>; inFlight: ReturnType<typeof inFlight.labels> }
  >()
  const perCode = new Map<string, ReturnType<typeof requests.labels>>()
  const counterFor = (method: string, code: string, api: string) => {
    const key = `${method} ${code} ${api}`
    let child = perCode.get(key)
    if (child === undefined) {
      child = requests.labels({ method, code, api })
      perCode.set(key, child)
    }
    return child
  }
  return {
    startRpc(method, api = defaultApi) {
      let children = perMethod.get(method)
      if (children === undefined) {
        children = { duration: duration.labels({ method }), inFlight: inFlight.labels({ method }) }
        perMethod.set(method, children)
      }
      const { duration: timed, inFlight: open } = children
      const end = timed.startTimer()
      open.inc()
      return (code) => {
        end()
        open.dec()
        counterFor(method, code, api).inc()
      }
    },
    replays: new Counter({
      name: 'summa_idempotent_replays_total',
      help: 'Add calls answered with an earlier answer because the request_id was seen before',
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'summa_add_rejected_total',
      help: 'Add calls refused because of their input, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    groupCommitRows: new Histogram({
      name: 'summa_group_commit_rows',
      help: 'Rows written per group-commit transaction',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers: [registry],
    }),
  }
}
