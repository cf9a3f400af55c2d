import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { eventually } from '../helpers/eventually.ts'
import { calculatorClient, createTestSystem, startTestPipeline } from '../helpers/system.ts'

// ajv-formats is CommonJS with a default export; under ESM it arrives as the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

type Schema = Record<string, unknown>
type Document = {
  paths: Record<
    string,
    { get: { responses: Record<string, { content?: Record<string, { schema: Schema }> }> } }
  >
}

const committed = JSON.parse(
  await readFile(new URL('../../docs/openapi.json', import.meta.url), 'utf8'),
) as Document

/** The schemas of a route's 200 answer, by media type, from the committed document. */
function ok(route: string): Record<string, { schema: Schema }> {
  const content = committed.paths[route]?.get.responses['200']?.content
  assert.ok(content, `docs/openapi.json documents GET ${route} 200`)
  return content
}

const ajv = new Ajv2020({ strict: false, allErrors: true })
addFormats(ajv)
function assertMatches(schema: Schema, value: unknown, what: string): void {
  const validate = ajv.compile(schema)
  assert.ok(validate(value), `${what}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`)
}

/** GETs `route` asking for `media`, checks status and type, and validates the body against the document. */
async function checkRoute(port: number, route: string, media: string, schema: Schema): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}${route}`, {
    headers: { accept: media },
    signal: AbortSignal.timeout(5000),
  })
  assert.equal(response.status, 200, `GET ${route}`)
  assert.equal(response.headers.get('content-type')?.split(';')[0], media, `GET ${route} as ${media}`)
  const text = await response.text()
  assertMatches(schema, media.endsWith('json') ? JSON.parse(text) : text, `GET ${route} (${media})`)
}

describe('the OpenAPI document', () => {
  it('is what the aggregator serves, and every route answers as it says', async (t) => {
    const system = await createTestSystem(t)
    const { calculator, relay, aggregator } = await startTestPipeline(t, system.config)
    const port = aggregator.running.httpPort
    // A total made of an applied event, so the bodies are not all zeros and nulls.
    await calculatorClient(t, calculator.running.grpcPort).add({
      requestId: '1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b',
      num1: '40',
      num2: '2',
    })

    const served = await fetch(`http://127.0.0.1:${port}/openapi.json`).then((response) => response.json())
    assert.deepEqual(served, committed, "GET /openapi.json is docs/openapi.json (run 'make contracts')")

    await eventually(async () => {
      const body = (await fetch(`http://127.0.0.1:${port}/total`).then((r) => r.json())) as { total: string }
      assert.equal(body.total, '42')
    }, 30_000)
    // Health answers 200 once every dependency answered its first probe.
    for (const httpPort of [port, calculator.running.httpPort, relay.running.httpPort]) {
      await eventually(async () => {
        assert.equal((await fetch(`http://127.0.0.1:${httpPort}/health`)).status, 200)
      })
    }

    const streamed = '/console/events'
    for (const route of Object.keys(committed.paths)) {
      if (route === streamed) continue
      for (const [media, { schema }] of Object.entries(ok(route)))
        await checkRoute(port, route, media, schema)
    }
    // The calculator's and the relay's ops servers answer with the same schemas.
    for (const httpPort of [calculator.running.httpPort, relay.running.httpPort]) {
      for (const route of ['/health', '/health/live', '/metrics']) {
        for (const [media, { schema }] of Object.entries(ok(route)))
          await checkRoute(httpPort, route, media, schema)
      }
    }

    // The event stream: its type, and a snapshot event whose data is the snapshot schema.
    const abort = new AbortController()
    t.after(() => abort.abort())
    const events = await fetch(`http://127.0.0.1:${port}${streamed}`, { signal: abort.signal })
    assert.equal(events.headers.get('content-type')?.split(';')[0], Object.keys(ok(streamed))[0])
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader()
    let received = ''
    while (!/event: snapshot\ndata: .*\n\n/.test(received)) {
      const { value, done } = await reader.read()
      assert.ok(!done, 'the stream stays open')
      received += value
    }
    const data = /event: snapshot\ndata: (.*)\n\n/.exec(received)![1]!
    assertMatches(
      ok('/console/snapshot')['application/json']!.schema,
      JSON.parse(data),
      'a console snapshot event',
    )
    abort.abort()
  })
})
