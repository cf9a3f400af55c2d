import http from 'node:http'
import https from 'node:https'
import * as grpc from '@grpc/grpc-js'
import { authHeaders, authMetadata } from '../shared/auth/bearer-credentials.ts'
import { CalculatorClient, channelCredentialsOf } from '../shared/calculator-client.ts'
import type { AddResponse__Output } from '../shared/generated/summa/v1/AddResponse.ts'
import type { ClientTlsFiles } from '../shared/tls/tls-settings.ts'

/** What one request ended with: a gRPC status name, `OK`, or `HTTP_<status>` and client-side codes. */
export interface CallResult<T> {
  code: string
  value?: T
}

export interface AddCallInput {
  requestId: string
  num1: string
  num2: string
}

/**
 * The endpoints a load run calls: Add over several gRPC channels (round robin;
 * one channel is one HTTP/2 connection, and a single connection serialises on
 * one socket), GET /total and GET /health over keep-alive HTTP/1.1.
 */
export class LoadTargets {
  readonly #clients: CalculatorClient[]
  readonly #agent: http.Agent
  readonly #httpBase: URL
  readonly #metadata: grpc.Metadata
  readonly #headers: Record<string, string>
  #next = 0

  /**
   * `tls`: gRPC over TLS, and what an https:// `httpBase` trusts and presents (undefined: plaintext);
   * `apiKey`: sent as `authorization: Bearer` on every call.
   */
  constructor(
    grpcAddress: string,
    httpBase: string,
    channels: number,
    { tls, apiKey }: { tls?: ClientTlsFiles | undefined; apiKey?: string | undefined } = {},
  ) {
    const credentials = channelCredentialsOf(tls)
    this.#metadata = authMetadata(apiKey)
    this.#headers = authHeaders(apiKey)
    // A distinct channel option per client stops grpc-js from sharing one subchannel between them.
    this.#clients = Array.from(
      { length: channels },
      (_, index) => new CalculatorClient(grpcAddress, { 'grpc.summa_load_channel': index }, credentials),
    )
    this.#httpBase = new URL(httpBase)
    this.#agent =
      this.#httpBase.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 64, ...tls })
        : new http.Agent({ keepAlive: true, maxSockets: 64 })
  }

  add(input: AddCallInput, deadlineMs: number): Promise<CallResult<AddResponse__Output>> {
    const client = this.#clients[this.#next++ % this.#clients.length]!
    return client.add({ ...input, deadlineMs, metadata: this.#metadata.clone() }).then(
      (value) => ({ code: 'OK', value }),
      (error: { code?: number }) => ({ code: grpc.status[error.code ?? grpc.status.UNKNOWN] ?? 'UNKNOWN' }),
    )
  }

  getJson(path: string, timeoutMs: number): Promise<CallResult<unknown>> {
    return new Promise((resolve) => {
      const request = (this.#httpBase.protocol === 'https:' ? https : http).get(
        new URL(path, this.#httpBase),
        { agent: this.#agent, timeout: timeoutMs, headers: this.#headers },
        (response) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('end', () => {
            const status = response.statusCode ?? 0
            if (status < 200 || status >= 300) {
              resolve({ code: `HTTP_${status}` })
              return
            }
            try {
              resolve({ code: 'OK', value: JSON.parse(Buffer.concat(chunks).toString('utf8')) })
            } catch {
              resolve({ code: 'HTTP_BAD_BODY' })
            }
          })
          response.on('error', () => resolve({ code: 'HTTP_NETWORK_ERROR' }))
        },
      )
      request.on('timeout', () => request.destroy(new Error('timeout')))
      request.on('error', (error) =>
        resolve({ code: error.message === 'timeout' ? 'HTTP_TIMEOUT' : 'HTTP_NETWORK_ERROR' }),
      )
    })
  }

  close(): void {
    for (const client of this.#clients) client.close()
    this.#agent.destroy()
  }
}
