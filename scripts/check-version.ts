// Fails when package.json's version, CHANGELOG.md's headings and the image tags
// disagree (scripts/contracts/version-consistency.ts has the rules).
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { versionProblems } from './contracts/version-consistency.ts'

const root = path.resolve(import.meta.dirname, '..')
const read = (file: string) => readFileSync(path.join(root, file), 'utf8')
// Where an image tag can be written: container and compose files, the Makefile, the docs.
const imageFiles = new Map<string, string>()
const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n')
for (const file of tracked) {
  const base = path.basename(file)
  if (/^(Dockerfile|Containerfile|Makefile)/.test(base) || /(compose|\.md$)/.test(base)) {
    if (file !== 'CHANGELOG.md' && existsSync(path.join(root, file))) imageFiles.set(file, read(file))
  }
}
const problems = versionProblems({
  packageVersion: (JSON.parse(read('package.json')) as { version: string }).version,
  changelog: read('CHANGELOG.md'),
  imageFiles,
})
for (const problem of problems) console.error(`version: ${problem}`)
if (problems.length > 0) process.exit(1)
console.log('version, changelog and image tags agree')
