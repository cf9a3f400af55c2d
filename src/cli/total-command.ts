import { authHeaders } from '../shared/auth/bearer-credentials.ts'
import type { Output } from '../shared/command-output.ts'
import type { Config } from '../shared/config.ts'
import { clientTlsOf } from '../shared/tls/tls-settings.ts'
import { httpGet } from './http-get.ts'

/** `summa total`: GET /total from the aggregator. */
export async function totalCommand(config: Config, io: Output, apiKey?: string): Promise<number> {
  const tls = clientTlsOf(config)
  const url = `${tls === undefined ? 'http' : 'https'}://${config.SUMMA_HOST}:${config.SUMMA_HTTP_PORT}/total`
  try {
    const { status, body } = await httpGet(url, { tls, timeoutMs: 5000, headers: authHeaders(apiKey) })
    if (status !== 200) {
      io.err(`GET ${url} answered ${status}: ${body}`)
      return 1
    }
    io.out(body)
    return 0
  } catch (error) {
    io.err(`cannot reach the aggregator at ${url}: ${(error as Error).message}`)
    return 1
  }
}
