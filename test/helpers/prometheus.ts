import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { defer } from './cleanup.ts'
import { eventually } from './eventually.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const repoConfig = path.join(root, 'observability/prometheus/prometheus.yml')

export interface TestPrometheus {
  url: string
  /** GET /api/v1/<route> with query parameters; throws unless status is "success". */
  api: <T>(route: string, params?: Record<string, string>) => Promise<T>
}

export interface PrometheusTargets {
  calculator: number
  relay: number
  aggregator: number
}

/**
 * Debian's Prometheus running the repository's own config and rules, with
 * only what must differ for a test substituted: the services' ports, a 1 s
 * scrape and evaluation interval, and absolute rule paths. Stopped when the
 * test ends; its data lives in a temp dir.
 */
export async function startPrometheus(
  t: Pick<TestContext, 'after'>,
  targets: PrometheusTargets,
  port = Number(process.env.SUMMA_TEST_PROMETHEUS_PORT ?? 19390),
): Promise<TestPrometheus> {
  const dir = await mkdtemp(path.join(tmpdir(), 'summa-test-prometheus-'))
  defer(t, () => rm(dir, { recursive: true, force: true }))
  const config = (await readFile(repoConfig, 'utf8'))
    .replaceAll('scrape_interval: 15s', 'scrape_interval: 1s')
    .replaceAll('evaluation_interval: 15s', 'evaluation_interval: 1s')
    .replaceAll('- rules/', `- ${path.join(root, 'observability/prometheus/rules')}/`)
    .replace("'127.0.0.1:8081'", `'127.0.0.1:${targets.calculator}'`)
    .replace("'127.0.0.1:8082'", `'127.0.0.1:${targets.relay}'`)
    .replace("'127.0.0.1:8080'", `'127.0.0.1:${targets.aggregator}'`)
  for (const port of Object.values(targets)) {
    if (!config.includes(`127.0.0.1:${port}'`))
      throw new Error('the repository config no longer has the expected targets')
  }
  const configFile = path.join(dir, 'prometheus.yml')
  await writeFile(configFile, config)
  const log = createWriteStream(path.join(root, '.test-data', 'prometheus.log'))
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  child.stdout?.pipe(log)
  child.stderr?.pipe(log)
  defer(t, async () => {
    if (child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  })
  const url = `http://127.0.0.1:${port}`
  await eventually(async () => {
    if (child.exitCode !== null)
      throw new Error(`prometheus exited with ${child.exitCode}; see .test-data/prometheus.log`)
    const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })
    if (!response.ok) throw new Error(`prometheus not ready: ${response.status}`)
  }, 30_000)
  return {
    url,
    api: async <T>(route: string, params: Record<string, string> = {}) => {
      const response = await fetch(`${url}/api/v1/${route}?${new URLSearchParams(params)}`, {
        signal: AbortSignal.timeout(5000),
      })
      const body = (await response.json()) as { status: string; data: T; error?: string }
      if (body.status !== 'success') throw new Error(`${route} ${JSON.stringify(params)}: ${body.error}`)
      return body.data
    },
  }
}

/** `x > 60` → `x`: an alert is quiet when healthy, but what it compares must have data. */
export function withoutThreshold(expr: string): string {
  return expr.replace(/\s*(>=|<=|==|!=|>|<)\s*-?[\d.]+(e[+-]?\d+)?\s*$/i, '').trim()
}

/**
 * `promtool check metrics` on a scrape: the problems it reports, one a line
 * (`<metric> <problem>`), empty when the exposition passes its lint.
 */
export async function promtoolProblems(exposition: string): Promise<string[]> {
  const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  // A missing promtool (ENOENT) or one that exits before reading (EPIPE) fails this call, not the file.
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('close', resolve)
    child.once('error', reject)
  })
  child.stdin?.on('error', () => {})
  child.stdin?.end(exposition)
  const code = await exited
  const problems = output.split('\n').filter((line) => line.trim() !== '')
  if (code !== 0 && problems.length === 0) throw new Error(`promtool check metrics exited ${code}`)
  return problems
}
