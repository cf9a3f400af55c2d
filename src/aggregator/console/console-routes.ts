import { readFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { ErrorCodes } from '../../shared/errors.ts'
import { errorBodySchema } from '../../shared/http/openapi.ts'
import { httpStatusByCode } from '../../shared/http-status.ts'
import type { ConsoleFeed } from './console-feed.ts'
import { consoleSnapshotSchema } from './console-snapshot.ts'

const staticDir = new URL('./static/', import.meta.url)
const assets = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
} as const

export interface ConsoleLimits {
  /** Open event streams; one more is answered 503 with Retry-After. */
  maxClients: number
}

/**
 * A console that stops reading (a suspended tab, a stalled client) would make
 * every snapshot pile up in memory behind its socket: past this many unsent
 * bytes (about half a minute of snapshots beyond what the kernel buffers) its
 * stream is closed, and a browser reconnects by itself when it wakes.
 */
const maxUnsentBytes = 64 * 1024
const eventStreamHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
}

// The routes' OpenAPI schemas (docs/openapi.json) and reply types.
const assetSchema = (summary: string, type: string) => ({
  summary,
  response: {
    200: { description: summary, content: { [type.split(';')[0]!]: { schema: z.string() } } },
  },
})
const snapshotRouteSchema = {
  summary: "The live console's snapshot, once",
  response: { 200: consoleSnapshotSchema, 503: errorBodySchema, 500: errorBodySchema },
}
const eventsRouteSchema = {
  summary: "The live console's feed (Server-Sent Events)",
  description:
    'A `retry: 2000` line, then one `event: snapshot` a second whose `data` is the JSON of GET /console/snapshot.',
  response: {
    200: {
      description: 'an endless event stream',
      content: {
        'text/event-stream': { schema: z.string().describe('event: snapshot\ndata: <snapshot JSON>') },
      },
    },
    503: errorBodySchema,
  },
}

/**
 * The live console: GET / and its two assets, GET /console/events (Server-Sent
 * Events, one `snapshot` event a second) and GET /console/snapshot (the same
 * JSON once). Open event streams are capped and ended before the server
 * closes, or a console left open would hold shutdown until its timeout.
 */
export function registerConsoleRoutes(app: FastifyInstance, feed: ConsoleFeed, limits: ConsoleLimits): void {
  for (const [route, asset] of Object.entries(assets)) {
    // Read once at start-up: the files are part of the release, not user content.
    const body = readFileSync(new URL(asset.file, staticDir))
    app.get(
      route,
      { schema: assetSchema(`the console's ${asset.file}`, asset.type) },
      async (_request, reply) => reply.type(asset.type).header('cache-control', 'no-cache').send(body),
    )
  }

  app
    .withTypeProvider<ZodTypeProvider>()
    .get('/console/snapshot', { schema: snapshotRouteSchema }, async (_request, reply) =>
      reply.header('cache-control', 'no-store').send(await feed.snapshot()),
    )

  const streams = new Set<ServerResponse>()
  app.get('/console/events', { schema: eventsRouteSchema }, (request, reply) => {
    // HEAD gets the stream's headers and no stream (it would otherwise never end).
    if (request.method === 'HEAD') return reply.headers(eventStreamHeaders).send()
    if (streams.size >= limits.maxClients) {
      return reply
        .code(httpStatusByCode[ErrorCodes.UNAVAILABLE] as 503)
        .header('retry-after', '10')
        .send({
          error: ErrorCodes.UNAVAILABLE,
          message: `${limits.maxClients} consoles are open; retry later`,
        })
    }
    reply.hijack()
    const raw = reply.raw
    raw.writeHead(200, { ...eventStreamHeaders, connection: 'keep-alive' })
    raw.write('retry: 2000\n\n')
    streams.add(raw)
    const unsubscribe = feed.subscribe((snapshot) => {
      if (raw.writableLength > maxUnsentBytes) {
        raw.destroy()
        return
      }
      raw.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`)
    })
    request.raw.once('close', () => {
      unsubscribe()
      streams.delete(raw)
    })
    return reply
  })
  app.addHook('preClose', async () => {
    feed.stop()
    for (const stream of streams) stream.end()
  })
}
