import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { setTimeout } from 'node:timers/promises'
import { status } from '@grpc/grpc-js'
import { serviceNodeFlags } from '../../src/cli/service-runtime.ts'
import { CalculatorClient } from '../../src/shared/calculator-client.ts'
import { defer } from '../helpers/cleanup.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { eventually } from '../helpers/eventually.ts'
import { freePort } from '../helpers/ports.ts'
import { assertStoppedBy, builtSummaEntry, descendantsOf, isAlive, spawnSumma } from '../helpers/processes.ts'
import { seedAdd } from '../helpers/seed-clients.ts'
import { getJson } from '../helpers/system.ts'

interface TotalBody {
  total: string
  appliedEvents: string
}

describe('summa up', () => {
  it('runs the whole system from the compiled build; after kill -9 of all of it, the next up resumes with nothing lost or doubled', async (t) => {
    const db = await createTestDatabase(t)
    const dataDir = await mkdtemp(path.join(tmpdir(), 'summa-up-'))
    defer(t, () => rm(dataDir, { recursive: true, force: true }))
    const kafkaPort = Number(process.env.SUMMA_TEST_UP_KAFKA_PORT ?? 19292)
    const env = {
      DATABASE_URL: db.url,
      SUMMA_DATA_DIR: dataDir,
      KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${kafkaPort}`,
      SUMMA_GRPC_PORT: String(await freePort()),
      SUMMA_HTTP_PORT: String(await freePort()),
      SUMMA_CALCULATOR_HTTP_PORT: String(await freePort()),
      SUMMA_RELAY_HTTP_PORT: String(await freePort()),
      // The seeds' ports pass through `summa up` to the services (moved off 9091, 4000, 3000).
      SUMMA_COMPAT_PORTS: 'true',
      SUMMA_COMPAT_GRPC_PORTS: `${await freePort()},${await freePort()}`,
      SUMMA_COMPAT_HTTP_PORT: String(await freePort()),
      SUMMA_LOG_LEVEL: 'warn',
    }
    const httpPort = Number(env.SUMMA_HTTP_PORT)
    const startUp = async () => {
      // The compiled build, as `make up` runs it: this is what proves dist/ works.
      const up = spawnSumma(t, ['up'], env, builtSummaEntry)
      defer(t, () => {
        for (const pid of descendantsOf(up.child.pid!)) process.kill(pid, 'SIGKILL')
      })
      await eventually(
        async () => assert.equal((await getJson(httpPort, '/total')).status, 200),
        150_000,
        250,
      )
      // The calculator binds its HTTP port after gRPC: a 200 here means Add is served. Without
      // this wait, a loaded machine lets the first Add race the calculator's start-up.
      await eventually(
        async () =>
          assert.equal((await getJson(Number(env.SUMMA_CALCULATOR_HTTP_PORT), '/health')).status, 200),
        150_000,
        250,
      )
      return up
    }
    const newClient = () => {
      const client = new CalculatorClient(`127.0.0.1:${env.SUMMA_GRPC_PORT}`)
      defer(t, () => client.close())
      return client
    }
    // A real client retries UNAVAILABLE with the same request id (a service may be
    // restarting under the supervisor); the id makes the retry safe.
    const add = async (num1: string, num2: string) => {
      const request = { requestId: randomUUID(), num1, num2 }
      for (let attempt = 1; ; attempt++) {
        try {
          return await client.add(request)
        } catch (error) {
          if ((error as { code?: number }).code !== status.UNAVAILABLE || attempt >= 40) throw error
          await setTimeout(250)
        }
      }
    }
    const expectTotal = (expected: bigint, applied: number) =>
      eventually(async () => {
        const { body } = await getJson<TotalBody>(httpPort, '/total')
        assert.deepEqual([body.total, body.appliedEvents], [expected.toString(), String(applied)])
      }, 30_000)

    const first = await startUp()
    // Zero-config security: an event key and the broker's users, made on this first run, owner-only,
    // and a broker that refuses an anonymous client.
    for (const file of ['event-keys.json', 'kafka-users.env']) {
      assert.equal((await stat(path.join(dataDir, file))).mode & 0o777, 0o600, file)
    }
    const anonymous = await new Promise<string | null>((resolve) => {
      const child = execFile(
        'kcat',
        [
          '-b',
          env.KAFKA_BOOTSTRAP_SERVERS,
          '-X',
          'message.timeout.ms=5000',
          '-m',
          '5',
          '-P',
          '-t',
          'summa.sums.v1',
        ],
        { timeout: 30_000 },
        (error, _stdout, stderr) => resolve(error === null ? null : stderr),
      )
      child.stdin?.end('forged\n')
    })
    assert.notEqual(anonymous, null, 'an anonymous producer is refused')
    // Each service runs the compiled build with the V8 settings that keep it small.
    // A short-lived helper (the broker script's children) may exit between listing and reading.
    const commandLines = descendantsOf(first.child.pid!).flatMap((pid) => {
      try {
        return [readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0$/, '').split('\0')]
      } catch {
        return []
      }
    })
    for (const service of ['calculator', 'relay', 'aggregator']) {
      const line = commandLines.find((args) => args.at(-2) === builtSummaEntry && args.at(-1) === service)
      assert.ok(line, `${service} runs ${builtSummaEntry}: ${JSON.stringify(commandLines)}`)
      for (const flag of serviceNodeFlags) assert.ok(line.includes(flag), `${service} runs with ${flag}`)
    }
    let client = newClient()
    // The CLI, as a person would use it.
    const cli = spawnSumma(t, ['add', '5', '7'], env)
    assert.equal((await cli.exited).code, 0, cli.output())
    assert.equal(JSON.parse(cli.output()).sum, '12')
    let expected = 12n
    for (let i = 0; i < 50; i++) {
      const answer = await add(String(i), '1000')
      expected += BigInt(answer.sum)
    }
    // Seed 003's client on its gRPC port, and its REST read on its HTTP port.
    const seedPort = Number(env.SUMMA_COMPAT_GRPC_PORTS.split(',')[1])
    assert.equal(await seedAdd(t, '003', seedPort, 5, 7), 12)
    expected += 12n
    await expectTotal(expected, 52)
    const summation = await getJson<{ Status: string; data: number }>(
      Number(env.SUMMA_COMPAT_HTTP_PORT),
      '/summation',
    )
    assert.deepEqual(summation.body, { Status: 'Success', data: Number(expected) })

    // kill -9 of everything at once: supervisor, services and broker.
    const everything = [first.child.pid!, ...descendantsOf(first.child.pid!)]
    assert.ok(everything.length >= 5, `supervisor, broker and three services: ${everything.length}`)
    for (const pid of everything) process.kill(pid, 'SIGKILL')
    await eventually(() => assert.deepEqual(everything.filter(isAlive), []))

    const second = await startUp()
    client = newClient()
    await expectTotal(expected, 52)
    for (let i = 0; i < 10; i++) {
      const answer = await add(String(-i), '1')
      expected += BigInt(answer.sum)
    }
    await expectTotal(expected, 62)
    // sum.txt is written just after the commit that GET /total already shows.
    await eventually(async () =>
      assert.equal(await readFile(path.join(dataDir, 'sum.txt'), 'utf8'), `${expected}\n`),
    )
    const total = spawnSumma(t, ['total'], env)
    assert.equal((await total.exited).code, 0)
    assert.equal(JSON.parse(total.output()).total, expected.toString())

    // Ctrl-C stops everything cleanly, broker included.
    const children = descendantsOf(second.child.pid!)
    second.child.kill('SIGINT')
    await assertStoppedBy(second, 'SIGINT')
    await eventually(() => assert.deepEqual(children.filter(isAlive), [], 'no process left behind'))
  })
})
