// Fails when a folder under src/ imports one it may not (scripts/layout/import-boundaries.ts
// has the rule), or when a document names a src/ or sql/ path that does not exist.
// Usage: check-layout.ts [repository root], the repository this script is in by default.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { missingDocPaths } from './layout/doc-paths.ts'
import { importViolations } from './layout/import-boundaries.ts'

const root = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '..'))

const sources = new Map<string, string>()
for (const entry of readdirSync(path.join(root, 'src'), { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.ts')) continue
  const file = path.join(entry.parentPath, entry.name)
  sources.set(
    path.relative(path.join(root, 'src'), file).split(path.sep).join('/'),
    readFileSync(file, 'utf8'),
  )
}
const problems = importViolations(sources)

// The documents a newcomer reads to find code; CHANGELOG.md is history and may name old paths.
const docs = ['README.md', 'CONTRIBUTING.md']
if (existsSync(path.join(root, 'docs')))
  docs.push(
    ...readdirSync(path.join(root, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`),
  )
for (const doc of docs) {
  if (!existsSync(path.join(root, doc))) continue
  for (const missing of missingDocPaths(readFileSync(path.join(root, doc), 'utf8'), (repoPath) =>
    existsSync(path.join(root, repoPath)),
  ))
    problems.push(`${doc} names ${missing}, which does not exist`)
}

for (const problem of problems) console.error(`layout: ${problem}`)
if (problems.length > 0) process.exit(1)
console.log(
  `layout: ${sources.size} source files import only what their folder may; ${docs.length} documents name only src/ and sql/ paths that exist`,
)
