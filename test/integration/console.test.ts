import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { defer } from '../helpers/cleanup.ts'
import { eventually } from '../helpers/eventually.ts'
import { calculatorClient, createTestSystem, getJson, startTestPipeline } from '../helpers/system.ts'

/**
 * The picture in the README and docs/OBSERVABILITY.md. A run writes its screenshot to a temp
 * dir; only `make console-png` (SUMMA_WRITE_CONSOLE_PNG=1) replaces the committed one, so an
 * ordinary test run leaves the working tree clean.
 */
const committedScreenshot = fileURLToPath(new URL('../../docs/console.png', import.meta.url))

describe('live console', () => {
  it('shows the total moving while traffic flows and agreeing with GET /total', async (t) => {
    const system = await createTestSystem(t)
    const dir = await mkdtemp(path.join(tmpdir(), 'summa-console-'))
    defer(t, () => rm(dir, { recursive: true, force: true }))
    const screenshot =
      process.env.SUMMA_WRITE_CONSOLE_PNG === '1' ? committedScreenshot : path.join(dir, 'console.png')
    const { calculator, aggregator } = await startTestPipeline(t, system.config)
    const port = aggregator.running.httpPort
    const client = calculatorClient(t, calculator.running.grpcPort)

    let running = true
    let expected = 0n
    const traffic = (async () => {
      for (let round = 1; running; round++) {
        const answers = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            client.add({ requestId: randomUUID(), num1: String(round), num2: String(i) }),
          ),
        )
        for (const answer of answers) if (answer.status === 'fulfilled') expected += BigInt(answer.value.sum)
        await new Promise((resolve) => setTimeout(resolve, 30))
      }
    })()
    const stopTraffic = async (): Promise<void> => {
      running = false
      await traffic
    }
    defer(t, stopTraffic)

    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    })
    defer(t, () => browser.close())
    const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } })
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(`http://127.0.0.1:${port}/`)

    // Read through locators: the page's own DOM, as a person would see it.
    const read = async () => ({
      state: await page.locator('#status').getAttribute('data-state'),
      total: (await page.locator('#total').getAttribute('data-total')) ?? '',
      applied: (await page.locator('#applied').getAttribute('data-value')) ?? '',
      addsRate: Number(await page.locator('#adds-rate').textContent()),
      e2eP99: await page.locator('#e2e-p99').textContent(),
      recentRows: await page.locator('#recent tr').count(),
      owners: (await page.locator('#owners').textContent()) ?? '',
    })

    const first = await eventually(async () => {
      const view = await read()
      assert.equal(view.state, 'live')
      assert.notEqual(view.total, '')
      return view
    }, 30_000)
    // The numbers move on their own, without a reload.
    const moved = await eventually(async () => {
      const view = await read()
      assert.ok(BigInt(view.total) > BigInt(first.total || '0'), `total still ${view.total}`)
      assert.ok(view.addsRate > 0, 'Add rate shown')
      assert.notEqual(view.e2eP99, '–', 'end-to-end latency shown')
      assert.ok(view.recentRows > 0, 'recent events listed')
      // The one aggregator holds all six partitions (its replica id is <host>-0 here: port 0).
      assert.match(view.owners, /^\S+ 0,1,2,3,4,5$/, `partition owners shown: ${view.owners}`)
      return view
    }, 30_000)
    // A few more seconds of history for the charts in the screenshot.
    await eventually(async () => {
      const view = await read()
      assert.ok(BigInt(view.applied) > BigInt(moved.applied))
      assert.ok(Number(await page.locator('#status').getAttribute('data-snapshots')) >= 12)
    }, 30_000)
    await page.screenshot({ path: screenshot, fullPage: true })
    assert.ok((await stat(screenshot)).size > 10_000, 'a screenshot with something in it')

    await stopTraffic()
    const total = await eventually(async () => {
      const { body } = await getJson<{ total: string; appliedEvents: string }>(port, '/total')
      assert.equal(body.total, expected.toString())
      return body
    }, 30_000)
    await eventually(async () => {
      const view = await read()
      assert.equal(view.total, total.total)
      assert.equal(view.applied, total.appliedEvents)
    }, 15_000)
    assert.deepEqual(errors, [])

    // An open console must not hold shutdown: its event stream is ended first.
    const started = Date.now()
    await aggregator.stop()
    assert.ok(Date.now() - started < 3000, `aggregator took ${Date.now() - started} ms to stop`)
  })
})
