import { once } from 'node:events'
import http from 'node:http'
import http2 from 'node:http2'
import https from 'node:https'
import type { ConnectionOptions, TLSSocket } from 'node:tls'

// Plain node:http(s)/http2 clients: fetch cannot be given a CA or a protocol
// without undici's own Agent, and these also say which protocol ALPN picked.

/** GET over TLS as an HTTP/1.1-only client, trusting `ca`. */
export function httpsGet(port: number, route: string, ca: Buffer) {
  return new Promise<{ status: number; body: string; alpn: string | false | null }>((resolve, reject) => {
    // An HTTP/1.1-only client that says so (as curl --http1.1 does): nginx must pick http/1.1.
    const options: https.RequestOptions & ConnectionOptions = {
      host: '127.0.0.1',
      servername: 'localhost',
      port,
      path: route,
      ca,
      ALPNProtocols: ['http/1.1'],
      timeout: 5000,
    }
    const request = https.get(options, (response) => {
      // Read now: the socket is detached from the response once it ends.
      const alpn = (response.socket as TLSSocket).alpnProtocol
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        body += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, alpn }))
    })
    request.on('timeout', () => request.destroy(new Error(`no answer to ${route}`)))
    request.on('error', reject)
  })
}

/** GET over TLS with HTTP/2, trusting `ca`. */
export async function http2Get(port: number, route: string, ca: Buffer) {
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca, servername: 'localhost' })
  try {
    const stream = session.request({ ':path': route })
    const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders]
    stream.setEncoding('utf8')
    let body = ''
    for await (const chunk of stream) body += chunk
    return { status: Number(headers[':status']), body, alpn: session.alpnProtocol }
  } finally {
    session.close()
  }
}

/** Milliseconds from the request to each of the feed's first two `snapshot` events. */
export function snapshotTimes(url: string, ca?: Buffer): Promise<number[]> {
  const started = Date.now()
  const get = url.startsWith('https:') ? https.get : http.get
  return new Promise((resolve, reject) => {
    const request = get(url, { ca, servername: 'localhost', timeout: 10_000 }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`${url}: ${response.statusCode}`))
      const times: number[] = []
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        text += chunk
        const seen = text.split('event: snapshot\n').length - 1
        while (times.length < seen) times.push(Date.now() - started)
        if (times.length >= 2) {
          request.destroy()
          resolve(times.slice(0, 2))
        }
      })
    })
    request.on('timeout', () => request.destroy(new Error(`${url}: fewer than 2 snapshots in 10 s`)))
    request.on('error', reject)
  })
}
