import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { kafkaAnswers } from '../src/shared/kafka.ts'
import { BenchProcess, waitFor } from './bench-process.ts'
import { type PgCluster, startPgCluster } from './pg-cluster.ts'

/** The repository root, where the bench finds scripts/ and dist/ and writes results/. */
export const benchRoot = fileURLToPath(new URL('../', import.meta.url))

/** The compiled build, as `make up` runs it (`make bench` builds it first). */
export const summaCli = path.join(benchRoot, 'dist/bin/summa.js')

/** A progress line on stdout, with the time of day: a bench's steps take seconds to minutes. */
export function benchLog(line: string): void {
  console.log(`${new Date().toISOString().slice(11, 19)} ${line}`)
}

/**
 * What a bench script owns while it runs: a temp work dir, the log dir
 * (results/tmp) and the cleanup steps of everything it started, run in
 * reverse order when it ends, fails, is interrupted or overruns its budget:
 * a bench stops by itself whatever happens and leaves nothing running.
 */
export interface BenchSession {
  work: string
  logs: string
  /** Registers a cleanup step; steps run last registered first. */
  defer: (step: () => Promise<void> | void) => void
  /** Runs `main`, then the cleanup steps. */
  run: <T>(main: () => Promise<T>) => Promise<T>
  /**
   * A session inside this one, with `name` under its work and log dirs: what
   * it starts is stopped when its `run` ends, so that the next starts afresh
   * on the same ports, or with this session's cleanup if that comes first
   * (the budget, an interrupt).
   */
  scope: (name: string) => Promise<BenchSession>
}

export async function openBenchSession(name: string, budgetMinutes: number): Promise<BenchSession> {
  const work = await mkdtemp(path.join(os.tmpdir(), `summa-${name}-`))
  // PostgreSQL runs as its own user when the bench runs as root: it must be able to enter the dir.
  await chmod(work, 0o755)
  const logs = path.join(benchRoot, 'results/tmp')
  await mkdir(logs, { recursive: true })
  const { session, cleanup } = sessionIn(work, logs)
  const budget = setTimeout(() => {
    console.error(`${name}: over its ${budgetMinutes}-minute budget; stopping`)
    void cleanup().finally(() => process.exit(1))
  }, budgetMinutes * 60_000)
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)))
  return {
    ...session,
    run: async (main) => {
      try {
        return await main()
      } finally {
        clearTimeout(budget)
        await cleanup()
      }
    },
  }
}

function sessionIn(work: string, logs: string): { session: BenchSession; cleanup: () => Promise<void> } {
  const steps: Array<() => Promise<void> | void> = []
  const cleanup = async (): Promise<void> => {
    for (const step of steps.reverse()) await Promise.resolve(step()).catch(() => {})
    steps.length = 0
    await rm(work, { recursive: true, force: true })
  }
  const session: BenchSession = {
    work,
    logs,
    defer: (step) => steps.push(step),
    run: async (main) => {
      try {
        return await main()
      } finally {
        await cleanup()
      }
    },
    scope: async (name) => {
      const inner = sessionIn(path.join(work, name), path.join(logs, name))
      await mkdir(inner.session.work, { recursive: true })
      await chmod(inner.session.work, 0o755)
      await mkdir(inner.session.logs, { recursive: true })
      // Run again by this session's cleanup: a no-op once the inner session's own run has ended.
      steps.push(inner.cleanup)
      return inner.session
    },
  }
  return { session, cleanup }
}

/** A broker of the bench's own (scripts/kafka/run.sh), data in `dataDir`; resolves once it answers, or stops it and fails. */
export async function startBenchKafka(dataDir: string, port: number, logFile: string): Promise<BenchProcess> {
  const broker = new BenchProcess(
    'kafka',
    path.join(benchRoot, 'scripts/kafka/run.sh'),
    [],
    {
      ...process.env,
      SUMMA_DATA_DIR: dataDir,
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(port + 1),
    },
    logFile,
  )
  try {
    await waitFor('kafka', 180_000, () => kafkaAnswers([`127.0.0.1:${port}`], 'summa-bench'))
  } catch (error) {
    // Not yet the caller's to stop: a broker that never answered must not outlive the bench.
    await broker.stop(10_000)
    throw error
  }
  return broker
}

/** Runs `summa migrate` against the bench's database (`env` names it); fails with the log's path. */
export async function migrateBenchDatabase(env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  const migrate = new BenchProcess('migrate', process.execPath, [summaCli, 'migrate'], env, logFile)
  if ((await migrate.exited) !== 0) throw new Error(`summa migrate failed; see ${logFile}`)
}

/**
 * A PostgreSQL cluster and a broker of the bench's own on `ports`, both stopped when `session`
 * ends: what the quieter measurements of one service (bench/drain.ts, bench/apply.ts) run against.
 */
export async function startBenchDependencies(
  session: BenchSession,
  ports: { pg: number; kafka: number },
): Promise<{ pg: PgCluster; bootstrap: string }> {
  const pg = startPgCluster(path.join(session.work, 'pg'), ports.pg)
  session.defer(() => pg.stop())
  const kafka = await startBenchKafka(
    path.join(session.work, 'kafka'),
    ports.kafka,
    `${session.logs}/kafka.log`,
  )
  session.defer(() => kafka.stop(60_000))
  return { pg, bootstrap: `127.0.0.1:${ports.kafka}` }
}
