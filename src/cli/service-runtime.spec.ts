import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import { cliEntry, serviceCommand, serviceNodeFlags } from './service-runtime.ts'

test('the launcher gives the services the same V8 settings as summa up', () => {
  const launcher = readFileSync(new URL('../../bin/summa', import.meta.url), 'utf8')
  const line = launcher
    .split('\n')
    .find((candidate) => candidate.includes('"$entry" "$@"') && candidate.includes('--'))
  assert.ok(line, 'bin/summa starts the services with flags')
  assert.deepEqual(
    line
      .trim()
      .split(/\s+/)
      .filter((word) => word.startsWith('--')),
    [...serviceNodeFlags],
  )
})

test('a service starts from the entry point next to the running code', () => {
  assert.ok(existsSync(cliEntry), cliEntry)
  assert.deepEqual(serviceCommand('relay').slice(-2), [cliEntry, 'relay'])
})
