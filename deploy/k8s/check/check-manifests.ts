/**
 * `make k8s-check`: renders every overlay with `kubectl kustomize` (the kubectl
 * named by $KUBECTL, else the one on PATH), then checks
 * each rendered object against the official schemas (schema-check.ts), the
 * whole render against the code and the Dockerfile (consistency.ts), and the
 * Kafka clients' authentication against a Strimzi broker (kafka-auth.ts). Offline:
 * no cluster is contacted. Exits 1 on any problem.
 */
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'
import { loadCodeFacts } from './code-facts.ts'
import { consistencyProblems } from './consistency.ts'
import { kafkaAuthProblems } from './kafka-auth.ts'
import { podSecurityProblems } from './pod-security.ts'
import { type KubeObject, schemaProblems } from './schema-check.ts'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const started = performance.now()
const facts = loadCodeFacts(root)

// Render from a copy, so that files the overlays need but git ignores (dev's database.env) can be
// made from their examples without touching the working tree.
const copy = mkdtempSync(path.join(tmpdir(), 'summa-k8s-'))
let failed = 0
try {
  cpSync(path.join(root, 'deploy/k8s'), copy, { recursive: true })
  // Each overlay alone, and production during a blue-green release (its green slot beside it).
  const overlays = readdirSync(path.join(copy, 'overlays')).map((name) => [`overlays/${name}`])
  const scenarios = [...overlays, ['overlays/production', 'slots/green']]
  for (const dirs of scenarios) {
    const objects: KubeObject[] = []
    for (const dir of dirs.map((d) => path.join(copy, d))) {
      for (const example of readdirSync(dir).filter((f) => f.endsWith('.example'))) {
        const target = path.join(dir, example.slice(0, -'.example'.length))
        if (!existsSync(target)) writeFileSync(target, readFileSync(path.join(dir, example)))
      }
      const rendered = execFileSync(process.env.KUBECTL || 'kubectl', ['kustomize', dir], {
        encoding: 'utf8',
      })
      objects.push(...parseAllDocuments(rendered).map((doc) => doc.toJS() as KubeObject))
    }
    const problems = [
      ...(await Promise.all(objects.map((object) => schemaProblems(object)))).flat(),
      ...consistencyProblems(objects, facts),
      ...kafkaAuthProblems(objects, facts),
      ...podSecurityProblems(objects),
    ]
    const kinds = [...new Set(objects.map((o) => o.kind))].sort().join(', ')
    console.log(`${dirs.join(' + ')}: ${objects.length} objects (${kinds}): ${problems.length} problems`)
    for (const problem of problems) console.log(`  ${problem}`)
    failed += problems.length
  }
} finally {
  rmSync(copy, { recursive: true, force: true })
}
console.log(
  `k8s-check: ${failed === 0 ? 'ok' : `${failed} problems`} in ${Math.round(performance.now() - started)} ms`,
)
process.exit(failed === 0 ? 0 : 1)
