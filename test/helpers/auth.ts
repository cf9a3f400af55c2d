import http from 'node:http'
import * as grpc from '@grpc/grpc-js'
import type { TestSystem } from './system.ts'

/** The `authorization` header or metadata that carries `key`. */
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` })
/** gRPC metadata with these entries. */
export const metadataOf = (headers: Record<string, string>) => {
  const metadata = new grpc.Metadata()
  for (const [name, value] of Object.entries(headers)) metadata.set(name, value)
  return metadata
}

/** GET on 127.0.0.1, with what an authentication answer carries. */
export async function get(port: number, route: string, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${route}`, {
    headers,
    signal: AbortSignal.timeout(5000),
  })
  return {
    status: response.status,
    authenticate: response.headers.get('www-authenticate') ?? '',
    retryAfter: response.headers.get('retry-after'),
    text: await response.text(),
  }
}

/** An SSE stream up to its first event, then the connection is dropped. */
export function firstEvent(
  port: number,
  headers: Record<string, string>,
): Promise<{ status: number; chunk: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/console/events', headers }, (response) => {
      if (response.statusCode !== 200) {
        response.resume()
        resolve({ status: response.statusCode ?? 0, chunk: '' })
        return
      }
      let received = ''
      response.on('data', (chunk: Buffer) => {
        received += chunk.toString()
        if (!received.includes('event: ')) return
        request.destroy()
        resolve({ status: 200, chunk: received })
      })
    })
    request.on('error', reject)
    request.setTimeout(10_000, () => request.destroy(new Error('no event in 10 s')))
  })
}

/** Add requests recorded: refused calls must not add any. */
export async function requestCount(system: TestSystem): Promise<number> {
  const [row] = await system.db.sql<{ n: number }[]>`select count(*)::int as n from add_requests`
  return row!.n
}
