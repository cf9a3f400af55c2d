import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseDurationMs, parseLoadArgs, parseMix, parseStages } from './load-options.ts'
import { evaluateThresholds } from './load-report.ts'

const defaults = { grpcAddress: '127.0.0.1:9090', httpBase: 'http://127.0.0.1:8080/' }

describe('summa load options', () => {
  it('parses durations, stages and mixes', () => {
    assert.equal(parseDurationMs('250ms'), 250)
    assert.equal(parseDurationMs('1.5s'), 1500)
    assert.equal(parseDurationMs('2m'), 120_000)
    assert.deepEqual(parseStages('10s:100,1m:0'), [
      { durationMs: 10_000, target: 100 },
      { durationMs: 60_000, target: 0 },
    ])
    assert.deepEqual(parseMix('add=90,total=8,health=2'), { add: 90, total: 8, health: 2 })
    assert.throws(() => parseMix('delete=1'), /unknown operation/)
    assert.throws(() => parseDurationMs('soon'), /not a duration/)
  })

  it('turns --rate and --duration into one constant stage', () => {
    const options = parseLoadArgs(['--rate', '500', '--duration', '30s', '--max-p99', '50'], defaults)
    assert.equal(options.model, 'open')
    assert.equal(options.startTarget, 500)
    assert.deepEqual(options.stages, [{ durationMs: 30_000, target: 500 }])
    assert.deepEqual(options.thresholds, { maxP99Ms: 50 })
    assert.equal(options.httpBase, 'http://127.0.0.1:8080')
  })

  it('reads the closed model with its think time', () => {
    const options = parseLoadArgs(['--model', 'closed', '--stages', '10s:50', '--think', '20-80'], defaults)
    assert.equal(options.model, 'closed')
    assert.deepEqual(options.thinkMs, { min: 20, max: 80 })
  })

  it('refuses a profile it cannot run', () => {
    assert.throws(() => parseLoadArgs(['--rate', '10'], defaults), /--duration/)
    assert.throws(() => parseLoadArgs(['--model', 'half-open'], defaults), /open or closed/)
    assert.throws(() => parseLoadArgs(['--stages', '1s:1', '--duplicates', '2'], defaults), /ratio/)
  })

  it('evaluates thresholds against the report', () => {
    const latency = { count: 1, meanMs: 1, p50Ms: 1, p90Ms: 1, p95Ms: 30, p99Ms: 60, p999Ms: 60, maxMs: 60 }
    const results = evaluateThresholds({ maxErrorRate: 0.01, maxP99Ms: 50 }, { errorRate: 0, latency })
    assert.deepEqual(
      results.map((result) => [result.name, result.passed]),
      [
        ['error_rate', true],
        ['p99_ms', false],
      ],
    )
  })
})
