import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Registry } from 'prom-client'
import { SummaError } from '../shared/errors.ts'
import { createLogger } from '../shared/logger.ts'
import { createPostgresBreaker } from './postgres-breaker.ts'

const log = createLogger({ level: 'silent', service: 'test' })

async function gauge(registry: Registry): Promise<number | undefined> {
  const metric = await registry.getSingleMetric('summa_circuit_breaker_state')?.get()
  return metric?.values.find((value) => value.labels.breaker === 'postgres')?.value
}

function setup(resetMs = 60_000) {
  const registry = new Registry()
  let failing = true
  const { commit, breaker } = createPostgresBreaker(
    async (batch: number[]) => {
      if (failing) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
      return batch
    },
    { registry, log, slowCommitMs: 1000, volumeThreshold: 10, resetMs },
  )
  return { registry, commit, breaker, heal: () => (failing = false) }
}

describe('postgres circuit breaker', () => {
  it('stays closed after one early failure: the volume threshold holds', async (t) => {
    const { commit, breaker, registry, heal } = setup()
    t.after(() => breaker.shutdown())
    await assert.rejects(commit([1]))
    assert.equal(breaker.opened, false)
    assert.equal(await gauge(registry), 0)
    heal()
    assert.deepEqual(await commit([2]), [2])
  })

  it('opens after enough failures, then refuses at once with UNAVAILABLE', async (t) => {
    const { commit, breaker, registry } = setup()
    t.after(() => breaker.shutdown())
    for (let i = 0; i < 10; i++) await assert.rejects(commit([i]))
    assert.equal(breaker.opened, true)
    assert.equal(await gauge(registry), 2)
    const started = performance.now()
    const error = await commit([1]).then(
      () => assert.fail('an open circuit refuses'),
      (e: unknown) => e,
    )
    assert.ok(error instanceof SummaError && error.code === 'UNAVAILABLE', String(error))
    assert.ok(performance.now() - started < 50, 'refused without waiting')
  })

  it('half-opens after the reset time and closes on a successful trial', async (t) => {
    const { commit, breaker, registry, heal } = setup(100)
    t.after(() => breaker.shutdown())
    for (let i = 0; i < 10; i++) await assert.rejects(commit([i]))
    heal()
    await new Promise((resolve) => breaker.once('halfOpen', resolve))
    assert.equal(await gauge(registry), 1)
    assert.deepEqual(await commit([7]), [7])
    assert.equal(breaker.closed, true)
    assert.equal(await gauge(registry), 0)
  })

  it('counts a commit slower than the Add timeout as a failure, so a hanging database opens it too', async (t) => {
    const registry = new Registry()
    const { commit, breaker } = createPostgresBreaker(() => new Promise<number[]>(() => {}), {
      registry,
      log,
      slowCommitMs: 20,
      volumeThreshold: 3,
    })
    t.after(() => breaker.shutdown())
    for (let i = 0; i < 3; i++) {
      const error = await commit([i]).then(
        () => assert.fail('a hanging commit does not succeed'),
        (e: unknown) => e,
      )
      assert.ok(error instanceof SummaError && error.code === 'UNAVAILABLE', String(error))
    }
    assert.equal(breaker.opened, true)
    assert.equal(await gauge(registry), 2)
  })
})
