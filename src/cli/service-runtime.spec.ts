import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import { cliEntry, loadNodeFlags, serviceCommand, serviceNodeFlags } from './service-runtime.ts'

/** The V8 flags bin/summa passes for a command, read from its `case` branch. */
function launcherFlags(command: string): string[] {
  const lines = readFileSync(new URL('../../bin/summa', import.meta.url), 'utf8').split('\n')
  const branch = lines.findIndex((line) => line.trim().endsWith(')') && line.includes(command))
  assert.ok(branch >= 0, `bin/summa has a branch for ${command}`)
  const exec = lines.slice(branch + 1).find((line) => line.includes('"$entry" "$@"'))
  assert.ok(exec, `bin/summa starts ${command}`)
  return exec
    .trim()
    .split(/\s+/)
    .filter((word) => word.startsWith('--'))
}

test('the launcher gives the services the same V8 settings as summa up', () => {
  for (const service of ['calculator', 'relay', 'aggregator'])
    assert.deepEqual(launcherFlags(service), [...serviceNodeFlags])
})

test('the launcher gives summa load the V8 settings the bench runs it with', () => {
  assert.deepEqual(launcherFlags('load'), [...loadNodeFlags])
})

test('a service starts from the entry point next to the running code', () => {
  assert.ok(existsSync(cliEntry), cliEntry)
  assert.deepEqual(serviceCommand('relay').slice(-2), [cliEntry, 'relay'])
})
