// Fails when a folder under src/ imports one it may not (scripts/layout/import-boundaries.ts
// has the rule).
// Usage: check-layout.ts [repository root], the repository this script is in by default.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
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

for (const problem of problems) console.error(`layout: ${problem}`)
if (problems.length > 0) process.exit(1)
console.log(`layout: ${sources.size} source files import only what their folder may`)
