/** How many times `make bench` measures the whole, each on a stack of its own, unless `BENCH_RUNS` says. */
export const defaultBenchRuns = 3

/** `make bench`'s settings: the `BENCH_*` variables, and their defaults. */
export interface BenchSettings {
  /** How many runs: the page reports each target's spread over them, not the best one. */
  runs: number
  /** Seconds each rate of the sweep is held. */
  stepS: number
  /** Arrival rates of the sweep, increasing (bench/sweep.ts assumes it). */
  rates: number[]
  /** A step passes with Add p99 at most this, and no error. */
  p99LimitMs: number
  /** How long the broker is down in the outage step. */
  outageS: number
  /** Adds per second during the outage; unset: half the sustained rate, at least 500/s. */
  outageRate: number | undefined
  /** Load before the sweep, so that V8's and the broker JVM's compilers are through the hot paths. */
  warmUp: { rate: number; bareS: number; summaS: number }
  /** BENCH_PROFILE=1: CPU profiles of the three services, written when they stop. */
  profile: boolean
}

/** The ports of everything the bench starts: its own, so that it runs beside `make up` and the tests. */
export const benchPorts = {
  pg: 19510,
  kafka: 19520,
  grpc: 19530,
  http: 19531,
  calculatorHttp: 19532,
  relayHttp: 19533,
  bare: 19540,
} as const

/** Reads the settings from `env`; a string says which value is wrong, before anything is started. */
export function readBenchSettings(env: NodeJS.ProcessEnv): BenchSettings | string {
  const settings: BenchSettings = {
    runs: Number(env.BENCH_RUNS ?? defaultBenchRuns),
    stepS: Number(env.BENCH_STEP_S ?? 12),
    // From 500/s: 250/s, under a fifth of summa's sustained rate, decided no target and cost every
    // run two steps (bench/running-the-bench.md).
    rates: (env.BENCH_RATES ?? '500,1000,1500,2000,2500,3000,4000,5000,6000,8000').split(',').map(Number),
    p99LimitMs: 50,
    outageS: Number(env.BENCH_OUTAGE_S ?? 60),
    outageRate: env.BENCH_OUTAGE_RATE === undefined ? undefined : Number(env.BENCH_OUTAGE_RATE),
    warmUp: { rate: 1000, bareS: 8, summaS: 30 },
    profile: env.BENCH_PROFILE === '1',
  }
  const { runs, rates, stepS, outageS } = settings
  if (!(Number.isInteger(runs) && runs > 0))
    return `BENCH_RUNS must be a positive whole number of runs (got "${env.BENCH_RUNS}")`
  if (!rates.every((rate, i) => Number.isInteger(rate) && rate > 0 && (i === 0 || rate > rates[i - 1]!)))
    return `BENCH_RATES must be increasing positive integers, comma-separated (got "${env.BENCH_RATES}")`
  if (!(stepS > 0)) return `BENCH_STEP_S must be a positive number of seconds (got "${env.BENCH_STEP_S}")`
  if (!(outageS > 0))
    return `BENCH_OUTAGE_S must be a positive number of seconds (got "${env.BENCH_OUTAGE_S}")`
  return settings
}

/**
 * The minutes a bench of `runs` runs may take before it stops itself
 * (bench/bench-session.ts): a run takes about 7 minutes on two cores, and a
 * busy machine retries more failed steps.
 */
export function benchBudgetMinutes(runs: number): number {
  return 5 + 10 * runs
}
