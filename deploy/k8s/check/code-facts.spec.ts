import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { loadCodeFacts, parseDockerfile } from './code-facts.ts'

function withDockerfile(text: string, run: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'summa-dockerfile-'))
  try {
    writeFileSync(path.join(dir, 'Dockerfile'), text)
    run(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

test('the run stage gives the user, ports, environment and entry point', () => {
  const text = [
    'FROM base AS build',
    'USER root',
    'EXPOSE 1234',
    'FROM base',
    'RUN groupadd --gid 10001 summa \\',
    ' && useradd --uid 10001 --gid 10001 summa',
    'ENV NODE_ENV=production \\',
    '    SUMMA_DATA_DIR="/var/lib/summa"',
    'USER summa',
    'EXPOSE 9090 8080',
    'ENTRYPOINT ["node", "--max-semi-space-size=4", "summa.js"]',
  ].join('\n')
  withDockerfile(text, (dir) => {
    assert.deepEqual(parseDockerfile(dir), {
      uid: 10001,
      exposed: [9090, 8080],
      env: { NODE_ENV: 'production', SUMMA_DATA_DIR: '/var/lib/summa' },
      entrypoint: 'ENTRYPOINT ["node", "--max-semi-space-size=4", "summa.js"]',
    })
  })
})

test('a numeric USER is the uid', () => {
  withDockerfile('FROM base\nUSER 10001:10001\n', (dir) => assert.equal(parseDockerfile(dir).uid, 10001))
})

test('a missing Dockerfile stops the check instead of passing it', () => {
  assert.throws(() => parseDockerfile(path.join(tmpdir(), 'no-such-dir')), /no Dockerfile/)
})

test("the code's facts are read from the repository", () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url))
  withDockerfile('FROM base\nUSER 10001\n', (dir) => {
    const facts = loadCodeFacts(root, dir)
    assert.deepEqual(facts.listeners.calculator, {
      http: 'SUMMA_CALCULATOR_HTTP_PORT',
      grpc: 'SUMMA_GRPC_PORT',
    })
    assert.deepEqual(facts.listeners.relay, { http: 'SUMMA_RELAY_HTTP_PORT' })
    assert.deepEqual(facts.listeners.aggregator, { http: 'SUMMA_HTTP_PORT' })
    assert.ok(facts.commands.includes('migrate') && facts.commands.includes('calculator'))
    assert.deepEqual([...facts.kafkaClients].sort(), ['aggregator', 'dlq', 'migrate', 'relay'])
    assert.deepEqual(facts.opsRoutes, ['/health', '/health/live', '/metrics'])
    assert.deepEqual(facts.grpcHealthServices.slice(0, 2), ['', 'summa.v1.CalculatorService'])
    assert.ok(facts.grpcHealthServices.includes('CalculatorService'), 'the seed-compatible services too')
    assert.deepEqual(facts.prometheusJobs, ['summa-calculator', 'summa-relay', 'summa-aggregator'])
    assert.match(facts.kafkaVersion, /^\d+\.\d+\.\d+$/)
    assert.equal(facts.dockerfile.uid, 10001)
  })
})
