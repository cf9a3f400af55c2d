import assert from 'node:assert/strict'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { describe, it, type TestContext } from 'node:test'
import { defer } from '../helpers/cleanup.ts'
import { eventually } from '../helpers/eventually.ts'
import { spawnSumma } from '../helpers/processes.ts'
import { longestLife, rawConnection, rssMb, waitClosed } from '../helpers/raw-connections.ts'
import { createTestSystem, getJson, processEnv } from '../helpers/system.ts'

const handshakeMs = 1000
/** Node looks for expired requests every 500 ms, and timers fire late on a loaded machine. */
const slackMs = 1500

/** A `summa aggregator` process (it serves /total, the console and its feed) with short limits. */
async function startAggregator(t: TestContext, limits: Record<string, string> = {}) {
  const system = await createTestSystem(t)
  const env = await processEnv(system, {
    SUMMA_LOG_LEVEL: 'warn',
    SUMMA_HANDSHAKE_TIMEOUT_MS: String(handshakeMs),
    ...limits,
  })
  const aggregator = spawnSumma(t, ['aggregator'], env)
  const port = Number(env.SUMMA_HTTP_PORT)
  await eventually(async () => assert.equal((await getJson(port, '/health/live')).status, 200), 30_000)
  return { aggregator, port }
}

/** GET `path` and hand back the response without reading its body (an event stream never ends). */
function open(t: TestContext, port: number, path: string, method = 'GET'): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method, agent: false }, (response) => {
      defer(t, () => response.destroy())
      resolve(response)
    })
    request.on('error', reject)
    request.setTimeout(10_000, () => request.destroy(new Error(`${method} ${path}: no answer in 10 s`)))
    request.end()
  })
}

describe('hostile connections: HTTP', () => {
  it('closes silent connections and slow or half-sent requests within the handshake timeout', async (t) => {
    const { port } = await startAggregator(t)
    const silent = Array.from({ length: 20 }, () => rawConnection(t, port, Buffer.alloc(0)))
    const halfLine = Array.from({ length: 20 }, () => rawConnection(t, port, Buffer.from('GET /tot')))
    const halfHeaders = Array.from({ length: 20 }, () =>
      rawConnection(t, port, Buffer.from('GET /total HTTP/1.1\r\nHost: x\r\nX-Slow: ')),
    )
    // Slowloris: a header byte every 200 ms keeps the socket busy but never finishes the headers.
    const trickle = Array.from({ length: 10 }, () =>
      rawConnection(t, port, Buffer.from('GET /total HTTP/1.1\r\nHost: x\r\n')),
    )
    const trickling = setInterval(() => {
      for (const c of trickle) if (c.closedAt === undefined) c.socket.write('X')
    }, 200)
    defer(t, () => clearInterval(trickling))

    const all = [...silent, ...halfLine, ...halfHeaders, ...trickle]
    await waitClosed(all, handshakeMs + slackMs + 2000)
    clearInterval(trickling)
    const times = {
      silent: longestLife(silent),
      halfLine: longestLife(halfLine),
      halfHeaders: longestLife(halfHeaders),
      slowloris: longestLife(trickle),
    }
    t.diagnostic(`closed after (ms, longest): ${JSON.stringify(times)}`)
    for (const [what, ms] of Object.entries(times)) {
      assert.ok(ms <= handshakeMs + slackMs, `${what}: open ${ms} ms, handshake timeout ${handshakeMs} ms`)
    }
    assert.equal((await getJson(port, '/total')).status, 200, 'others are still served')
  })

  it('closes connections over the cap at once, and gives their memory back', async (t) => {
    const maxConnections = 100
    const { aggregator, port } = await startAggregator(t, {
      SUMMA_HTTP_MAX_CONNECTIONS: String(maxConnections),
    })
    const pid = aggregator.child.pid!
    const baseline = rssMb(pid)
    // Each asks for /health/live and keeps its connection (HTTP/1.1 keep-alive) until the server ends it.
    const flood = Array.from({ length: 2000 }, () =>
      rawConnection(t, port, Buffer.from('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n')),
    )
    let peak = 0
    const started = Date.now()
    while (flood.some((c) => c.closedAt === undefined) && Date.now() - started < 20_000) {
      peak = Math.max(peak, rssMb(pid))
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const served = flood.filter((c) => c.received > 0)
    const refused = flood.filter((c) => c.received === 0)
    t.diagnostic(
      `2000 connections: ${served.length} served (closed by keep-alive after ≤ ${longestLife(served)} ms), ` +
        `${refused.length} closed unserved within ${longestLife(refused)} ms; RSS baseline ${baseline.toFixed(0)} MB, peak ${peak.toFixed(0)} MB`,
    )
    assert.ok(
      served.length >= 1 && served.length <= maxConnections,
      `${served.length} served, cap ${maxConnections}`,
    )
    assert.ok(longestLife(refused) < slackMs, 'refused at once')
    assert.ok(longestLife(served) < 5000 + slackMs, 'served connections closed by the keep-alive timeout')
    const settled = await eventually(
      () => {
        const rss = rssMb(pid)
        assert.ok(rss < baseline + 40, `RSS ${rss.toFixed(0)} MB, baseline ${baseline.toFixed(0)} MB`)
        return rss
      },
      30_000,
      500,
    )
    t.diagnostic(`RSS settled at ${settled.toFixed(0)} MB`)
    assert.equal((await getJson(port, '/total')).status, 200, 'served again once the flood is gone')
  })

  it('answers HEAD on the console feed: its headers, no body, and the answer ends', async (t) => {
    const { port } = await startAggregator(t)
    const head = await open(t, port, '/console/events', 'HEAD')
    const ended = await new Promise<boolean>((resolve) => {
      head.on('end', () => resolve(true))
      head.resume()
      setTimeout(() => resolve(false), 3000)
    })
    assert.equal(head.statusCode, 200)
    assert.match(String(head.headers['content-type']), /^text\/event-stream/)
    assert.ok(ended, 'HEAD /console/events ends')
  })

  it('caps console event streams with 503 and Retry-After', async (t) => {
    const maxClients = 5
    const { port } = await startAggregator(t, { SUMMA_SSE_MAX_CLIENTS: String(maxClients) })
    const streams = await Promise.all(
      Array.from({ length: maxClients }, () => open(t, port, '/console/events')),
    )
    for (const stream of streams) assert.equal(stream.statusCode, 200)
    const over = await open(t, port, '/console/events')
    const body = await new Promise<string>((resolve) => {
      let text = ''
      over.on('data', (chunk: Buffer) => {
        text += chunk.toString()
      })
      over.on('end', () => resolve(text))
      setTimeout(() => resolve(text), 3000)
    })
    t.diagnostic(
      `stream ${maxClients + 1}: ${over.statusCode} retry-after ${over.headers['retry-after']} ${body}`,
    )
    assert.equal(over.statusCode, 503)
    assert.ok(Number(over.headers['retry-after']) > 0)
    assert.equal(JSON.parse(body).error, 'UNAVAILABLE')

    streams[0]!.destroy()
    await eventually(
      async () => assert.equal((await open(t, port, '/console/events')).statusCode, 200),
      10_000,
    )
  })

  it('answers 413 TOO_LARGE, 405 with Allow for a known path, 404 NOT_FOUND for an unknown one', async (t) => {
    const { port } = await startAggregator(t)
    const base = `http://127.0.0.1:${port}`
    const answer = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) })
      return {
        status: response.status,
        allow: response.headers.get('allow'),
        body: (await response.json()) as { error?: string },
      }
    }
    const tooLarge = await answer('/total', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `[${'1,'.repeat(600_000)}1]`,
    })
    const deleteTotal = await answer('/total', { method: 'DELETE' })
    const putConsole = await answer('/console/events', { method: 'PUT' })
    const unknown = await answer('/nowhere', { method: 'DELETE' })
    t.diagnostic(JSON.stringify({ tooLarge, deleteTotal, putConsole, unknown }))
    assert.deepEqual([tooLarge.status, tooLarge.body.error], [413, 'TOO_LARGE'])
    assert.deepEqual(
      [deleteTotal.status, deleteTotal.allow, deleteTotal.body.error],
      [405, 'GET, HEAD', 'METHOD_NOT_ALLOWED'],
    )
    assert.deepEqual([putConsole.status, putConsole.allow], [405, 'GET, HEAD'])
    assert.deepEqual([unknown.status, unknown.body.error], [404, 'NOT_FOUND'])
  })
})
