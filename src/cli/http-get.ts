import http from 'node:http'
import https from 'node:https'
import type { ClientTlsFiles } from '../shared/tls/tls-settings.ts'

export interface HttpGetOptions {
  /** For https:// URLs: the CA to trust (else the system's) and the certificate to present (mTLS). */
  tls?: ClientTlsFiles | undefined
  timeoutMs: number
  /** Request headers (the API key's `authorization`). */
  headers?: Record<string, string>
}

/**
 * One GET with node:http(s), for the CLI's calls to summa's own ports: fetch
 * takes neither a CA nor a client certificate without undici's own Agent.
 */
export function httpGet(
  url: string,
  { tls, timeoutMs, headers }: HttpGetOptions,
): Promise<{ status: number; body: string }> {
  const secure = url.startsWith('https:')
  const get = secure ? https.get : http.get
  return new Promise((resolve, reject) => {
    const request = get(url, { ...(secure ? tls : {}), timeout: timeoutMs, headers }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        body += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
      response.on('error', reject)
    })
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    request.on('error', reject)
  })
}
