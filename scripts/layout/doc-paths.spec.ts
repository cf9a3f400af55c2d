import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { docPaths, missingDocPaths } from './doc-paths.ts'

test('takes src/ and sql/ paths from prose, code spans and links, without what ends a sentence', () => {
  const text = `The relay's loop is src/relay/outbox-relay.ts. Its queries are in \`src/relay/db/\`,
the schema in [the first migration](../sql/migrations/000001_init.sql), every spec in
src/**/*.spec.ts; dist/src/relay/x.js and https://example.com/src/x.ts are not ours.
Again: src/relay/outbox-relay.ts, (sql/migrations).`
  assert.deepEqual(docPaths(text), [
    'src/relay/outbox-relay.ts',
    'src/relay/db',
    'sql/migrations/000001_init.sql',
    'sql/migrations',
  ])
})

test('lists the paths that do not exist', () => {
  const exists = (repoPath: string) => repoPath === 'src/shared/ops-plane.ts'
  assert.deepEqual(missingDocPaths('see src/shared/ops-plane.ts and src/relay/db/claim-all.ts', exists), [
    'src/relay/db/claim-all.ts',
  ])
})

test('check-layout.ts exits 1 when a document names a path that does not exist', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'summa-doc-paths-'))
  try {
    mkdirSync(path.join(root, 'src/shared'), { recursive: true })
    mkdirSync(path.join(root, 'docs'))
    writeFileSync(path.join(root, 'src/shared/ops-plane.ts'), 'export const x = 1\n')
    writeFileSync(
      path.join(root, 'docs/ARCHITECTURE.md'),
      'The ops plane: `src/shared/ops-plane.ts`. The relay: `src/relay/outbox-relay.ts`.\n',
    )
    const script = path.join(import.meta.dirname, '..', 'check-layout.ts')
    const run = spawnSync(process.execPath, [script, root], { encoding: 'utf8' })
    assert.equal(run.status, 1, run.stdout)
    assert.match(
      run.stderr,
      /docs\/ARCHITECTURE\.md names src\/relay\/outbox-relay\.ts, which does not exist/,
    )
    assert.doesNotMatch(run.stderr, /ops-plane/)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})
