// The machine-readable contracts under docs/, generated from the schemas in code:
// the Kafka event's JSON Schema and the REST API's OpenAPI document.
//   write-contracts.ts            write them
//   write-contracts.ts --check    fail when a committed file is stale, or when the
//                                 event schema is incompatible with the released one
//   write-contracts.ts --release  record the current event schema as the released one
// (make contracts / make check / make contracts-baseline; CONTRIBUTING.md).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { eventContract } from './contracts/event-contract.ts'
import { incompatibilities } from './contracts/json-schema-compat.ts'
import { openApiDocument } from './contracts/openapi-document.ts'

const root = path.resolve(import.meta.dirname, '..')
const eventFile = 'docs/schemas/sum-event.v1.json'
const releasedEventFile = 'docs/schemas/released/sum-event.v1.json'

const generated: Array<{ file: string; build: () => Promise<unknown> | unknown }> = [
  { file: eventFile, build: eventContract },
  { file: 'docs/openapi.json', build: openApiDocument },
]

const render = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`
const write = (file: string, text: string) => {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true })
  writeFileSync(path.join(root, file), text)
}
const read = (file: string) => readFileSync(path.join(root, file), 'utf8')

const mode = process.argv[2] ?? '--write'
if (mode === '--write') {
  for (const { file, build } of generated) write(file, render(await build()))
  console.log(`wrote ${generated.map(({ file }) => file).join(', ')}`)
} else if (mode === '--release') {
  write(releasedEventFile, render(eventContract()))
  console.log(`wrote ${releasedEventFile}`)
} else if (mode === '--check') {
  let failed = false
  for (const { file, build } of generated) {
    if (!existsSync(path.join(root, file)) || read(file) !== render(await build())) {
      console.error(`${file} is out of date: run 'make contracts' and commit the result`)
      failed = true
    }
  }
  const problems = incompatibilities(JSON.parse(read(releasedEventFile)), eventContract() as never)
  for (const problem of problems)
    console.error(`${eventFile} is incompatible with ${releasedEventFile}: ${problem}`)
  if (problems.length > 0) {
    console.error(
      'an incompatible change needs a new topic and schema version (summa.sums.v2), not an edit of v1',
    )
    failed = true
  }
  if (failed) process.exit(1)
  console.log('contracts under docs/ are up to date and compatible with the released ones')
} else {
  console.error('usage: write-contracts.ts [--write|--check|--release]')
  process.exit(2)
}
