import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
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

test("the entry point imports a command's modules only when that command runs", () => {
  // The services start from the same file: a calculator must not carry the Kafka
  // client or the tools. Every module the entry point resolves before it has read
  // the command is recorded by a resolve hook.
  const hook = `import { registerHooks } from 'node:module'
registerHooks({ resolve(specifier, context, next) {
  const resolved = next(specifier, context)
  process.stderr.write('resolved ' + resolved.url + '\\n')
  return resolved
} })`
  const run = spawnSync(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(hook)}`, cliEntry, 'help'],
    { encoding: 'utf8' },
  )
  assert.equal(run.status, 0, run.stderr)
  const loaded = run.stderr
    .split('\n')
    .filter((line) => line.startsWith('resolved '))
    .map((line) => line.slice('resolved '.length))
  assert.ok(
    loaded.some((url) => url.includes('/bin/run-service.')),
    'the hook saw the entry point load',
  )
  // The entry point, the one CLI module it prints failures with, and src/shared: no service, tool or command.
  const unwanted = loaded.filter(
    (url) =>
      url.includes('@platformatic/kafka') ||
      (!url.includes('/node_modules/') &&
        /\/(calculator|relay|aggregator|dlq|verify|load)\/|\/cli\/(?!failure-message\.)/.test(url)),
  )
  assert.deepEqual(unwanted, [])
})
