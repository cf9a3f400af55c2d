import { parseArgs } from 'node:util'
import { ErrorCodes, SummaError } from '../shared/errors.ts'
import type { ClientTlsFiles } from '../shared/tls/tls-settings.ts'

/** One stage of a profile: move linearly to `target` over `durationMs` (k6's `stages`). */
export interface Stage {
  durationMs: number
  target: number
}

export const LoadModels = { OPEN: 'open', CLOSED: 'closed' } as const
export type LoadModel = (typeof LoadModels)[keyof typeof LoadModels]

export const Operations = { ADD: 'add', TOTAL: 'total', HEALTH: 'health' } as const
export type Operation = (typeof Operations)[keyof typeof Operations]

export interface Thresholds {
  /** Failed requests / all requests, 0..1. */
  maxErrorRate?: number
  maxP95Ms?: number
  maxP99Ms?: number
}

export interface LoadOptions {
  grpcAddress: string
  /** TLS for the gRPC target and https:// HTTP targets (SUMMA_TLS_CA_FILE and the client pair); undefined for plaintext gRPC. */
  tls?: ClientTlsFiles | undefined
  /** Base URL of the aggregator's REST server (GET /total, /health). */
  httpBase: string
  /**
   * open: requests arrive at a rate (arrivals/s) whether or not earlier ones
   * were answered; closed: virtual users send, wait for the answer, think, repeat.
   */
  model: LoadModel
  /** Where the profile starts (arrivals/s or VUs) before the first stage. */
  startTarget: number
  stages: Stage[]
  /** Closed model: think time between a VU's requests, uniform in [min, max]. */
  thinkMs: { min: number; max: number }
  /** Relative weights of the operations. */
  mix: Record<Operation, number>
  /** Share of Adds that re-send an earlier request (same id, same numbers), 0..1. */
  duplicateRatio: number
  /** gRPC channels (HTTP/2 connections) the Adds are spread over. */
  channels: number
  deadlineMs: number
  /** Open model: requests outstanding at once before new arrivals count as client overload errors. */
  maxInFlight: number
  thresholds: Thresholds
  ledgerFile?: string
  jsonFile?: string
  progress: boolean
  /** Also measure end-to-end latency (Add answered → visible in GET /total) with probe Adds. */
  e2eProbe: boolean
  /** Sent with every request (`authorization: Bearer`): from --api-key or SUMMA_API_KEY. */
  apiKey?: string
}

export const loadUsage = `summa load: drive Add, GET /total and health traffic and report latency.

  --model open|closed       open: arrival rate (default); closed: virtual users with think time
  --rate N --duration D     open model, constant N arrivals/s for D (e.g. 30s, 2m)
  --vus N --duration D      closed model, constant N virtual users for D
  --stages D:T,D:T,…        ramp linearly to target T over D, stage after stage (rate or VUs)
  --start T                 target before the first stage (default 0)
  --think MIN-MAX           closed model think time in ms (default 100-500)
  --mix add=90,total=8,health=2   operation weights (default add=100)
  --duplicates R            share of Adds re-sent with the same id and numbers (default 0)
  --channels N              gRPC connections (default 4)
  --deadline MS             per-request deadline (default 5000)
  --max-in-flight N         open model: outstanding requests before arrivals fail (default 20000)
  --max-error-rate R        threshold: exit 1 when errors/requests exceeds R
  --max-p95 MS, --max-p99 MS     thresholds on the latency of all requests
  --ledger FILE             append one JSON line per Add attempt (the ledger summa verify reads)
  --json FILE               write the final report as JSON
  --e2e-probe               measure Add → visible in GET /total with probe Adds
  --quiet                   no live progress line
  --grpc HOST:PORT, --http URL    targets (default from SUMMA_HOST, SUMMA_GRPC_PORT, SUMMA_HTTP_PORT);
                            --grpc IP:PORT,IP:PORT,… or one DNS name of several calculators: round robin
  --api-key KEY             sent with every request (default SUMMA_API_KEY); needs the add and read scopes`

export function parseDurationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim())
  if (match === null) throw invalid(`not a duration: ${text} (use e.g. 500ms, 30s, 2m)`)
  const value = Number(match[1])
  const unit = match[2] ?? 's'
  return Math.round(value * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000))
}

export function parseStages(text: string): Stage[] {
  return text.split(',').map((part) => {
    const [duration, target] = part.split(':')
    if (duration === undefined || target === undefined) throw invalid(`not a stage: ${part} (use D:T)`)
    return { durationMs: parseDurationMs(duration), target: nonNegative(target, 'stage target') }
  })
}

export function parseMix(text: string): Record<Operation, number> {
  const mix: Record<Operation, number> = { add: 0, total: 0, health: 0 }
  for (const part of text.split(',')) {
    const [name, weight] = part.split('=')
    if (name !== 'add' && name !== 'total' && name !== 'health') throw invalid(`unknown operation: ${name}`)
    mix[name] = nonNegative(weight ?? '', `weight of ${name}`)
  }
  if (mix.add + mix.total + mix.health <= 0) throw invalid('the mix needs a positive weight')
  return mix
}

export function parseLoadArgs(
  args: string[],
  defaults: { grpcAddress: string; httpBase: string },
): LoadOptions {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string', default: 'open' },
      rate: { type: 'string' },
      vus: { type: 'string' },
      duration: { type: 'string' },
      stages: { type: 'string' },
      start: { type: 'string', default: '0' },
      think: { type: 'string', default: '100-500' },
      mix: { type: 'string', default: 'add=100' },
      duplicates: { type: 'string', default: '0' },
      channels: { type: 'string', default: '4' },
      deadline: { type: 'string', default: '5000' },
      'max-in-flight': { type: 'string', default: '20000' },
      'max-error-rate': { type: 'string' },
      'max-p95': { type: 'string' },
      'max-p99': { type: 'string' },
      ledger: { type: 'string' },
      json: { type: 'string' },
      'e2e-probe': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      grpc: { type: 'string', default: defaults.grpcAddress },
      http: { type: 'string', default: defaults.httpBase },
    },
  })
  const model = values.model
  if (model !== 'open' && model !== 'closed') throw invalid(`--model must be open or closed, not ${model}`)
  const constant = model === 'open' ? values.rate : values.vus
  let startTarget = nonNegative(values.start, '--start')
  let stages: Stage[]
  if (values.stages !== undefined) stages = parseStages(values.stages)
  else if (constant !== undefined && values.duration !== undefined) {
    startTarget = nonNegative(constant, model === 'open' ? '--rate' : '--vus')
    stages = [{ durationMs: parseDurationMs(values.duration), target: startTarget }]
  } else throw invalid(`give --stages, or ${model === 'open' ? '--rate' : '--vus'} with --duration`)
  const [thinkMin, thinkMax] = values.think.split('-').map((part) => nonNegative(part, '--think'))
  const duplicateRatio = nonNegative(values.duplicates, '--duplicates')
  if (duplicateRatio > 1) throw invalid('--duplicates is a ratio between 0 and 1')
  const optional = (text: string | undefined, name: string): number | undefined =>
    text === undefined ? undefined : nonNegative(text, name)
  const thresholds: Thresholds = {}
  const maxErrorRate = optional(values['max-error-rate'], '--max-error-rate')
  const maxP95Ms = optional(values['max-p95'], '--max-p95')
  const maxP99Ms = optional(values['max-p99'], '--max-p99')
  if (maxErrorRate !== undefined) thresholds.maxErrorRate = maxErrorRate
  if (maxP95Ms !== undefined) thresholds.maxP95Ms = maxP95Ms
  if (maxP99Ms !== undefined) thresholds.maxP99Ms = maxP99Ms
  return {
    grpcAddress: values.grpc,
    httpBase: values.http.replace(/\/$/, ''),
    model,
    startTarget,
    stages,
    thinkMs: { min: thinkMin ?? 0, max: thinkMax ?? thinkMin ?? 0 },
    mix: parseMix(values.mix),
    duplicateRatio,
    channels: Math.max(1, Math.round(nonNegative(values.channels, '--channels'))),
    deadlineMs: nonNegative(values.deadline, '--deadline'),
    maxInFlight: nonNegative(values['max-in-flight'], '--max-in-flight'),
    thresholds,
    ...(values.ledger === undefined ? {} : { ledgerFile: values.ledger }),
    ...(values.json === undefined ? {} : { jsonFile: values.json }),
    progress: !values.quiet,
    e2eProbe: values['e2e-probe'],
  }
}

function nonNegative(text: string, name: string): number {
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value) || value < 0)
    throw invalid(`${name} must be a non-negative number, not ${JSON.stringify(text)}`)
  return value
}

function invalid(message: string): SummaError {
  return new SummaError(ErrorCodes.INVALID_ARGUMENT, message)
}
