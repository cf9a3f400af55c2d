import assert from 'node:assert/strict'
import path from 'node:path'
import { describe, it } from 'node:test'
import { loadConfig } from '../shared/config.ts'
import { parseReplicaCounts, planReplicas } from './replica-plan.ts'

describe('replica plan', () => {
  const config = loadConfig({ SUMMA_DATA_DIR: '/tmp/summa-data' })

  it('reads --replicas and the per-service counts', () => {
    assert.deepEqual(parseReplicaCounts([]), { calculator: 1, relay: 1, aggregator: 1 })
    assert.deepEqual(parseReplicaCounts(['--replicas', '2', '--relays', '3']), {
      calculator: 2,
      relay: 3,
      aggregator: 2,
    })
    assert.throws(() => parseReplicaCounts(['--replicas', '0']), /1 to 8/)
  })

  it('keeps one replica exactly as before', () => {
    const plan = planReplicas(config, { calculator: 1, relay: 1, aggregator: 1 })
    assert.deepEqual(
      plan.map((replica) => [replica.name, replica.httpPort]),
      [
        ['aggregator', 8080],
        ['relay', 8082],
        ['calculator', 8081],
      ],
    )
    assert.equal(plan[0]!.dataDir, '/tmp/summa-data')
  })

  it('gives each further replica its own ports and aggregator data dir, none shared', () => {
    const plan = planReplicas(config, { calculator: 2, relay: 2, aggregator: 2 })
    assert.deepEqual(
      plan.map((replica) => replica.name),
      ['aggregator-1', 'aggregator-2', 'relay-1', 'relay-2', 'calculator-1', 'calculator-2'],
    )
    const ports = plan.flatMap((replica) => [
      replica.httpPort,
      ...(replica.grpcPort ? [replica.grpcPort] : []),
    ])
    assert.equal(new Set(ports).size, ports.length)
    assert.deepEqual(
      plan.filter((replica) => replica.service === 'calculator').map((replica) => replica.grpcPort),
      [9090, 9190],
    )
    assert.equal(plan[1]!.dataDir, path.join('/tmp/summa-data', 'aggregator-2'))
    assert.equal(plan[1]!.env.SUMMA_COMPAT_PORTS, 'false')
  })
})
