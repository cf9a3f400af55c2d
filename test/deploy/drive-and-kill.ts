/**
 * The deploy test's traffic and faults, against a Compose stack that is up:
 * Adds through nginx with the fault suite's client (every attempt in a ledger,
 * an unanswered request retried with its id), one container of each service
 * killed with SIGKILL mid-load and brought back by its restart policy, then
 * `summa verify` on the stack's PostgreSQL: 0 lost, 0 duplicated, 0 phantom.
 *
 * Run by test/deploy/run.sh with DOCKER_HOST and the compose command set;
 * prints one JSON report line and exits 1 on any anomaly.
 */
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { createSql } from '../../src/shared/db.ts'
import { verify } from '../../src/verify/verify.ts'
import { TrafficDriver } from '../faults/driver.ts'

const run = promisify(execFile)
const { values } = parseArgs({
  options: {
    grpc: { type: 'string' },
    'database-url': { type: 'string' },
    'out-dir': { type: 'string' },
    compose: { type: 'string' },
    rate: { type: 'string', default: '80' },
    kill: { type: 'string', default: 'calculator-1,relay-1,aggregator-1,nginx,postgres,kafka-1' },
  },
})
const grpc = values.grpc ?? fail('--grpc HOST:PORT')
const databaseUrl = values['database-url'] ?? fail('--database-url URL')
const outDir = values['out-dir'] ?? fail('--out-dir DIR')
const compose = (values.compose ?? fail('--compose "docker-compose -f … -p …"')).split(' ')
const docker = '/usr/bin/docker'

function fail(what: string): never {
  console.error(`drive-and-kill: missing ${what}`)
  process.exit(2)
}

async function containerOf(service: string): Promise<string> {
  const { stdout } = await run(compose[0]!, [...compose.slice(1), 'ps', '-q', service])
  const id = stdout.trim()
  if (id === '') throw new Error(`no container for ${service}`)
  return id
}

async function inspect(
  id: string,
): Promise<{ pid: number; restarts: number; running: boolean; health: string }> {
  const { stdout } = await run(docker, [
    'inspect',
    '--format',
    '{{.State.Pid}} {{.RestartCount}} {{.State.Running}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}',
    id,
  ])
  const [pid, restarts, running, health] = stdout.trim().split(' ')
  return {
    pid: Number(pid),
    restarts: Number(restarts),
    running: running === 'true',
    health: health ?? 'none',
  }
}

/** Polls a condition every 200 ms; never a fixed sleep. */
async function until(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean> | boolean,
): Promise<number> {
  const started = Date.now()
  for (;;) {
    if (await check()) return Date.now() - started
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

const ledgerFile = path.join(outDir, 'ledger.jsonl')
const driver = new TrafficDriver({
  address: grpc,
  ledgerFile,
  ratePerSecond: Number(values.rate),
  deadlineMs: 2000,
})
const started = Date.now()
driver.start()
const faults: Array<{ service: string; recoveredMs: number; okDuringRecovery: number }> = []
try {
  // Traffic flows before the first fault, and between faults.
  await until('the first 200 answered Adds', 60_000, () => driver.stats.ok >= 200)
  for (const service of values.kill.split(',')) {
    const id = await containerOf(service)
    const before = await inspect(id)
    const okBefore = driver.stats.ok
    // SIGKILL to the container's PID 1 from the host: a crash, which the restart policy
    // answers. (`docker kill` counts as a manual stop: Docker would not restart it.)
    process.kill(before.pid, 'SIGKILL')
    const recoveredMs = await until(`${service} restarted and healthy`, 120_000, async () => {
      const now = await inspect(id)
      return (
        now.restarts > before.restarts && now.running && (now.health === 'healthy' || now.health === 'none')
      )
    })
    // Adds are answered again after the fault before the next one.
    await until(`Adds answered after ${service} came back`, 60_000, () => driver.stats.ok >= okBefore + 200)
    faults.push({ service, recoveredMs, okDuringRecovery: driver.stats.ok - okBefore })
    console.error(`drive-and-kill: killed ${service}, back and healthy after ${recoveredMs} ms`)
  }
} finally {
  await driver.stop()
}
const stats = driver.stats
const trafficMs = Date.now() - started
const sql = createSql({ url: databaseUrl, poolSize: 2, applicationName: 'summa-deploy-verify' })
let report: Awaited<ReturnType<typeof verify>>
try {
  report = await verify({ sql, topic: 'summa.sums.v1', ledgerFile, auditFile: undefined, settleMs: 90_000 })
} finally {
  await sql.end({ timeout: 5 })
}
await writeFile(path.join(outDir, 'verify.json'), `${JSON.stringify(report, null, 2)}\n`)
console.log(
  JSON.stringify({
    trafficMs,
    requests: stats.requests,
    attempts: stats.attempts,
    duplicateSends: stats.duplicateSends,
    ok: stats.ok,
    unresolved: stats.unresolved,
    faults,
    verify: { ok: report.ok, lost: report.lost, duplicated: report.duplicated, phantom: report.phantom },
  }),
)
process.exitCode = report.ok && stats.unresolved === 0 ? 0 : 1
