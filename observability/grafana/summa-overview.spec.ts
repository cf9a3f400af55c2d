import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { deprecatedTotalMetric } from '../../src/aggregator/aggregator-metrics.ts'
import { buildDashboard, datasources, prometheusQueries } from './summa-overview.ts'

const dashboardsDir = new URL('./dashboards/', import.meta.url)
const read = (url: URL): string => readFileSync(url, 'utf8')

/** Every `datasource` object anywhere in a dashboard. */
function datasourceRefs(node: unknown, found: unknown[] = []): unknown[] {
  if (Array.isArray(node)) for (const item of node) datasourceRefs(item, found)
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'datasource') found.push(value)
      else datasourceRefs(value, found)
    }
  }
  return found
}

describe('Grafana dashboards', () => {
  it('are committed as generated (run `make dashboards` after editing summa-overview.ts)', () => {
    const committed = JSON.parse(read(new URL('summa-overview.json', dashboardsDir)))
    assert.deepEqual(committed, buildDashboard())
  })

  it('reference every datasource by a provisioned uid, never by numeric id or name', () => {
    const provisioned = read(new URL('./provisioning/datasources/summa.yml', import.meta.url))
    for (const { uid } of Object.values(datasources)) assert.match(provisioned, new RegExp(`uid: ${uid}\\b`))
    for (const file of readdirSync(dashboardsDir).filter((name) => name.endsWith('.json'))) {
      const dashboard = JSON.parse(read(new URL(file, dashboardsDir)))
      const refs = datasourceRefs(dashboard)
      assert.ok(refs.length > 0, file)
      for (const ref of refs) {
        assert.equal(typeof ref, 'object', `${file}: datasource ${JSON.stringify(ref)} must be {type, uid}`)
        const { uid, type } = ref as { uid: unknown; type: unknown }
        assert.ok(
          Object.values(datasources).some((known) => known.uid === uid && known.type === type),
          `${file}: unknown datasource ${JSON.stringify(ref)}`,
        )
      }
    }
  })

  it('have unique panel ids and at least one query per data panel', () => {
    const dashboard = buildDashboard()
    const panels = dashboard.panels as Array<{ id: number; type: string; targets?: unknown[] }>
    assert.equal(new Set(panels.map((panel) => panel.id)).size, panels.length)
    for (const panel of panels.filter((p) => p.type !== 'row')) assert.ok((panel.targets ?? []).length > 0)
    assert.ok(prometheusQueries().length >= 30)
  })

  it('are provisioned from a folder of their own', () => {
    const provider = read(new URL('./provisioning/dashboards/summa.yml', import.meta.url))
    assert.match(provider, /folder: summa/)
  })

  it('and the Prometheus rules use no deprecated metric name', () => {
    const rulesDir = new URL('../prometheus/rules/', import.meta.url)
    const sources = [
      ...readdirSync(dashboardsDir).map((file) => read(new URL(file, dashboardsDir))),
      ...readdirSync(rulesDir).map((file) => read(new URL(file, rulesDir))),
    ]
    for (const source of sources) assert.doesNotMatch(source, new RegExp(`\\b${deprecatedTotalMetric}\\b`))
  })
})
