import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { defer } from '../helpers/cleanup.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { eventually } from '../helpers/eventually.ts'
import { freePort } from '../helpers/ports.ts'
import { descendantsOf, isAlive } from '../helpers/processes.ts'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

interface LogLine {
  service?: string
  msg?: string
  process?: string
  code?: number | null
  signal?: string | null
}

function logLines(output: string): LogLine[] {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return []
    try {
      return [JSON.parse(line) as LogLine]
    } catch {
      return []
    }
  })
}

describe('make up', () => {
  it('stopped by a signal storm on its process group, still stops every service in order', async (t) => {
    const db = await createTestDatabase(t)
    const dataDir = await mkdtemp(path.join(tmpdir(), 'summa-make-up-'))
    defer(t, () => rm(dataDir, { recursive: true, force: true }))
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      SUMMA_DATA_DIR: dataDir,
      KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${Number(process.env.SUMMA_TEST_UP_KAFKA_PORT ?? 19292)}`,
      SUMMA_GRPC_PORT: String(await freePort()),
      SUMMA_HTTP_PORT: String(await freePort()),
      SUMMA_CALCULATOR_HTTP_PORT: String(await freePort()),
      SUMMA_RELAY_HTTP_PORT: String(await freePort()),
      SUMMA_LOG_LEVEL: 'info',
    }
    // The target a person runs, in a process group of its own as a terminal gives it.
    // `install` is a no-op here: every make target that runs the tests has built dist/.
    const make = spawn('make', ['--no-print-directory', 'up'], {
      cwd: repoRoot,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    make.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    make.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      make.once('exit', (code, signal) => resolve({ code, signal })),
    )
    const pgid = make.pid!
    defer(t, async () => {
      for (const pid of [pgid, ...descendantsOf(pgid)]) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
    })
    await eventually(() => assert.match(output, /summa is ready/), 200_000, 250)
    const everything = [pgid, ...descendantsOf(pgid)]
    // make, summa up, the broker (run.sh and its JVM) and three services.
    assert.ok(everything.length >= 6, `make, supervisor, broker and three services: ${everything.length}`)

    // One Ctrl-C is a SIGINT to the whole group (make and summa up); make forwards a SIGTERM
    // it gets to its child, and a terminal or IDE closing adds its own SIGTERM: the storm
    // below reaches summa up several times within 50 ms.
    process.kill(-pgid, 'SIGINT')
    await delay(20)
    process.kill(-pgid, 'SIGTERM')
    await delay(20)
    process.kill(-pgid, 'SIGINT')
    const { code, signal } = await exited
    t.diagnostic(`make ended with code ${code}, signal ${signal}`)
    await eventually(() => assert.deepEqual(everything.filter(isAlive), [], 'no process left behind'), 30_000)

    const lines = logLines(output)
    const up = lines.filter((line) => line.service === 'up')
    assert.ok(
      up.some((line) => line.msg === 'stopping summa'),
      output.slice(-3000),
    )
    assert.ok(
      !up.some((line) => /second signal/.test(line.msg ?? '')),
      `no forced stop:\n${output.slice(-3000)}`,
    )
    const stopped = up.filter((line) => line.msg === 'process exited')
    assert.deepEqual(
      stopped.map((line) => line.process),
      ['calculator', 'relay', 'aggregator', 'kafka'],
      'stopped in the reverse order of the data flow, the broker last',
    )
    // summa up stops each service with SIGTERM; a graceful stop ends by that signal (not a status).
    for (const line of stopped.slice(0, 3)) {
      assert.deepEqual(
        { code: line.code, signal: line.signal },
        { code: null, signal: 'SIGTERM' },
        `${line.process} ended by SIGTERM after its graceful stop`,
      )
    }
    for (const service of ['calculator', 'relay', 'aggregator']) {
      assert.ok(
        lines.some((line) => line.service === service && line.msg === 'stopped'),
        `${service} ran its graceful stop`,
      )
    }
    assert.equal(up.at(-1)?.msg, 'summa stopped')
    // summa up ends by the first signal (SIGINT), so make reports the recipe interrupted
    // ("make: *** [Makefile:…: up] Interrupt"), not failed with a status ("… Error 143",
    // "… Error 1"), and ends by the signal it got too (README "Shutdown").
    assert.doesNotMatch(output, /make: \*\*\*.*Error/)
    assert.ok(signal === 'SIGINT' || signal === 'SIGTERM', `make ended with code ${code}, signal ${signal}`)
  })
})
