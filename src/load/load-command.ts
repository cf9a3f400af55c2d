import type { Config } from '../shared/config.ts'
import { clientTlsOf } from '../shared/tls/tls-settings.ts'
import { type LoadOptions, loadUsage, parseLoadArgs } from './load-options.ts'
import { formatReport } from './load-report.ts'
import { runLoad } from './run-load.ts'

export interface LoadIo {
  out: (line: string) => void
  err: (line: string) => void
  /** The live progress line; rewritten in place on a terminal. */
  progress: (line: string) => void
}

/**
 * `summa load …`: runs the profile, prints the report, exits 1 when a threshold
 * was breached (2 on a usage error). Ctrl-C stops sending and still reports.
 */
export async function loadCommand(
  config: Config,
  args: string[],
  apiKey: string | undefined,
  io: LoadIo,
): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(loadUsage)
    return 0
  }
  let options: LoadOptions
  const tls = clientTlsOf(config)
  try {
    options = {
      ...parseLoadArgs(args, {
        grpcAddress: `${config.SUMMA_HOST}:${config.SUMMA_GRPC_PORT}`,
        httpBase: `${tls === undefined ? 'http' : 'https'}://${config.SUMMA_HOST}:${config.SUMMA_HTTP_PORT}`,
      }),
      tls,
    }
  } catch (error) {
    io.err(`summa load: ${(error as Error).message}\n\n${loadUsage}`)
    return 2
  }
  const stop = new AbortController()
  const onSignal = (): void => stop.abort()
  process.once('SIGINT', onSignal)
  try {
    const report = await runLoad(
      { ...options, ...(apiKey === undefined ? {} : { apiKey }) },
      {
        signal: stop.signal,
        onSecond: options.progress
          ? (point, stats) =>
              io.progress(
                `t=${point.second}s sent=${point.sent}/s ok=${point.ok}/s errors=${point.errors}/s ` +
                  `p99=${point.p99Ms.toFixed(1)}ms in-flight=${stats.inFlight} total ok=${stats.ok} errors=${stats.errors}`,
              )
          : undefined,
      },
    )
    io.out(formatReport(report))
    return report.passed ? 0 : 1
  } finally {
    process.removeListener('SIGINT', onSignal)
  }
}
