import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'

// scripts/check-protos.sh on a copy of buf.yaml and proto/, edited the way a
// careless change would be: it must pass as committed and fail on each edit.
const root = path.resolve(import.meta.dirname, '../..')
const check = path.join(root, 'scripts/check-protos.sh')

function checkCopy(
  t: { after: (fn: () => void) => void },
  edit?: { file: string; from: string; to: string },
) {
  const dir = mkdtempSync(path.join(tmpdir(), 'summa-buf-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(path.join(root, 'buf.yaml'), path.join(dir, 'buf.yaml'))
  cpSync(path.join(root, 'proto'), path.join(dir, 'proto'), { recursive: true })
  if (edit !== undefined) {
    const file = path.join(dir, edit.file)
    const text = readFileSync(file, 'utf8')
    assert.ok(text.includes(edit.from), `${edit.file} has ${edit.from}`)
    writeFileSync(file, text.replace(edit.from, edit.to))
  }
  const run = spawnSync(check, [dir], { encoding: 'utf8' })
  return { status: run.status, output: run.stdout + run.stderr }
}

test('the committed protos pass lint and match the released contract', (t) => {
  const { status, output } = checkCopy(t)
  assert.equal(status, 0, output)
})

test('a renumbered field fails', (t) => {
  const { status, output } = checkCopy(t, {
    file: 'proto/summa/v1/calculator.proto',
    from: 'bool replayed = 3;',
    to: 'bool replayed = 5;',
  })
  assert.notEqual(status, 0)
  assert.match(output, /replayed/)
})

test('a retyped field in a seed contract fails', (t) => {
  const { status, output } = checkCopy(t, {
    file: 'proto/compat/sum_service.proto',
    from: 'int32 result = 1;',
    to: 'int64 result = 1;',
  })
  assert.notEqual(status, 0)
  assert.match(output, /type/)
})

test('a removed field fails', (t) => {
  const { status, output } = checkCopy(t, {
    file: 'proto/summa/v1/calculator.proto',
    from: 'string accepted_at = 4;',
    to: '',
  })
  assert.notEqual(status, 0)
  assert.match(output, /accepted_at|deleted/)
})

test('an added field passes', (t) => {
  const { status, output } = checkCopy(t, {
    file: 'proto/summa/v1/calculator.proto',
    from: 'string accepted_at = 4;',
    to: 'string accepted_at = 4;\n  string note = 5;',
  })
  assert.equal(status, 0, output)
})
