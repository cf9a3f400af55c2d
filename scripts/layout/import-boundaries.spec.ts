import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { importViolations, relativeImports } from './import-boundaries.ts'

const check = (files: Record<string, string>) => importViolations(new Map(Object.entries(files)))

test('finds static, multi-line, type-only, re-exported and dynamic relative imports', () => {
  const source = `import { a } from './a.ts'
import type { B } from '../shared/b.ts'
import {
  c,
  type D,
} from '../relay/c.ts'
export { e } from './e.ts'
import './side-effect.ts'
import { z } from 'zod'
export function later() {
  return import('../aggregator/start-aggregator.ts')
}`
  assert.deepEqual(relativeImports(source).sort(), [
    '../aggregator/start-aggregator.ts',
    '../relay/c.ts',
    '../shared/b.ts',
    './a.ts',
    './e.ts',
    './side-effect.ts',
  ])
})

test('a component imports itself and src/shared/; the entry point imports anything', () => {
  assert.deepEqual(
    check({
      'aggregator/start-aggregator.ts':
        "import { x } from './db/read-total.ts'\nimport { y } from '../shared/db.ts'",
      'aggregator/db/read-total.ts': "import type { Sql } from '../../shared/db.ts'",
      'shared/db.ts': "import postgres from 'postgres'\nimport { z } from './errors.ts'",
      'bin/summa.ts': "import('../aggregator/start-aggregator.ts')\nimport { up } from '../cli/up.ts'",
    }),
    [],
  )
})

test('fails on a service importing another service, statically or dynamically', () => {
  const problems = check({
    'aggregator/start-aggregator.ts': "import { outboxBacklog } from '../relay/db/outbox-backlog.ts'",
    'cli/migrate-command.ts':
      "const { deadLetterTopicOf } = await import('../aggregator/start-aggregator.ts')",
  })
  assert.equal(problems.length, 2)
  assert.match(
    problems[0]!,
    /src\/aggregator\/start-aggregator\.ts imports src\/relay\/db\/outbox-backlog\.ts/,
  )
  assert.match(problems[0]!, /move what both use to src\/shared\//)
  assert.match(problems[1]!, /src\/cli\/migrate-command\.ts imports src\/aggregator\/start-aggregator\.ts/)
})

test('fails on src/shared/ importing a component, and on a folder nobody classified', () => {
  const problems = check({
    'shared/x.ts': "import { y } from '../calculator/y.ts'",
    'tools/z.ts': "import { q } from '../shared/q.ts'",
  })
  assert.equal(problems.length, 2)
  assert.match(problems[0]!, /src\/shared\/ imports only src\/shared\//)
  assert.match(problems[1]!, /src\/tools\/ is not a known folder/)
})

test('check-layout.ts exits 1 on a violating import in a repository', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'summa-layout-'))
  try {
    mkdirSync(path.join(root, 'src/relay/db'), { recursive: true })
    mkdirSync(path.join(root, 'src/aggregator'), { recursive: true })
    writeFileSync(path.join(root, 'src/relay/db/outbox-backlog.ts'), 'export const n = 1\n')
    writeFileSync(
      path.join(root, 'src/aggregator/start-aggregator.ts'),
      "import { n } from '../relay/db/outbox-backlog.ts'\nexport const m = n\n",
    )
    const script = path.join(import.meta.dirname, '..', 'check-layout.ts')
    const run = spawnSync(process.execPath, [script, root], { encoding: 'utf8' })
    assert.equal(run.status, 1, run.stdout)
    assert.match(
      run.stderr,
      /src\/aggregator\/start-aggregator\.ts imports src\/relay\/db\/outbox-backlog\.ts/,
    )
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})
