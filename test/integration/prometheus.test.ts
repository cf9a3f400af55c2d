import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { prometheusQueries } from '../../observability/grafana/summa-overview.ts'
import { deprecatedTotalMetric } from '../../src/aggregator/aggregator-metrics.ts'
import { eventually } from '../helpers/eventually.ts'
import { promtoolProblems, startPrometheus, withoutThreshold } from '../helpers/prometheus.ts'
import {
  calculatorClient,
  createTestSystem,
  startTestAggregator,
  startTestCalculator,
  startTestRelay,
} from '../helpers/system.ts'

interface RuleGroup {
  rules: Array<{
    name: string
    query: string
    type: 'recording' | 'alerting'
    health: string
    lastError?: string
  }>
}
interface QueryResult {
  resultType: string
  result: Array<{ metric: Record<string, string>; value: [number, string] }>
}

describe('observability against a real Prometheus', () => {
  it('every PromQL expression of the dashboards and the rules is valid and returns data', async (t) => {
    const system = await createTestSystem(t)
    const calculator = await startTestCalculator(t, system.config)
    const relay = await startTestRelay(t, system.config)
    const aggregator = await startTestAggregator(t, system.config)
    const prometheus = await startPrometheus(t, {
      calculator: calculator.running.httpPort,
      relay: relay.running.httpPort,
      aggregator: aggregator.running.httpPort,
    })

    // Traffic until the checks pass: valid Adds, some replays, some rejected input.
    const client = calculatorClient(t, calculator.running.grpcPort)
    let running = true
    const traffic = (async () => {
      for (let round = 0; running; round++) {
        const ids = Array.from({ length: 20 }, () => randomUUID())
        await Promise.allSettled([
          ...ids.map((requestId, i) => client.add({ requestId, num1: String(round), num2: String(i) })),
          client.add({ requestId: ids[0]!, num1: String(round), num2: '0' }),
          client.add({ requestId: 'not-a-uuid', num1: '1', num2: '2' }),
        ])
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })()
    t.after(async () => {
      running = false
      await traffic
    })

    const rules = (await prometheus.api<{ groups: RuleGroup[] }>('rules')).groups.flatMap(
      (group) => group.rules,
    )
    assert.ok(rules.some((rule) => rule.type === 'recording'))
    assert.ok(rules.filter((rule) => rule.type === 'alerting').length >= 6)

    // Grafana's $__rate_interval is four scrape intervals at least; 10 s here.
    const expressions = [
      ...prometheusQueries().map(({ panel, expr }) => ({
        source: `dashboard panel "${panel}"`,
        expr: expr.replaceAll('$__rate_interval', '10s'),
      })),
      ...rules.map((rule) => ({
        source: `${rule.type} rule ${rule.name}`,
        expr: rule.type === 'alerting' ? withoutThreshold(rule.query) : rule.query,
      })),
      ...rules
        .filter((rule) => rule.type === 'recording')
        .map((rule) => ({ source: 'recorded series', expr: rule.name })),
    ]

    assert.ok(expressions.length >= 50, `${expressions.length} expressions`)
    await eventually(
      async () => {
        const failures: string[] = []
        for (const { source, expr } of expressions) {
          try {
            const data = await prometheus.api<QueryResult>('query', { query: expr })
            const values = data.result.map((sample) => Number(sample.value[1]))
            if (values.length === 0) failures.push(`${source}: no data for ${expr}`)
            else if (values.every(Number.isNaN)) failures.push(`${source}: only NaN for ${expr}`)
          } catch (error) {
            failures.push(`${source}: ${(error as Error).message}`)
          }
        }
        assert.deepEqual(failures, [])
      },
      90_000,
      1000,
    )

    const evaluated = (await prometheus.api<{ groups: RuleGroup[] }>('rules')).groups.flatMap((g) => g.rules)
    for (const rule of evaluated) assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError ?? ''}`)

    // Each service's live /metrics, after traffic (every labelled series present), passes promtool's lint.
    for (const [service, port] of Object.entries({
      calculator: calculator.running.httpPort,
      relay: relay.running.httpPort,
      aggregator: aggregator.running.httpPort,
    })) {
      const exposition = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
      // The total's old name, a gauge with a counter's suffix, stays one release (CHANGELOG).
      const problems = (await promtoolProblems(exposition)).filter(
        (problem) => !problem.startsWith(`${deprecatedTotalMetric} `),
      )
      assert.deepEqual(problems, [], `${service}: promtool check metrics`)
    }
  })
})
