import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

/**
 * Prints the functions with the most self time in V8 CPU profiles (.cpuprofile,
 * from node --cpu-prof), one table per file: the quick look before opening a
 * profile in a flame-graph viewer (Chrome DevTools, speedscope).
 *
 * Usage: node bench/profile-summary.ts DIR_OR_FILE [TOP]
 */
interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}

// make bench BENCH_PROFILE=1 writes each run's profiles beside its logs: the first run's by default.
const target = process.argv[2] ?? 'results/tmp/run-1/profiles'
const top = Number(process.argv[3] ?? 15)
const files = target.endsWith('.cpuprofile')
  ? [target]
  : readdirSync(target)
      .filter((name) => name.endsWith('.cpuprofile'))
      .map((name) => path.join(target, name))

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[]
    startTime: number
    endTime: number
  }
  const totalHits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0)
  const bySite = new Map<string, number>()
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame
    const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/src\//, 'src/')
    const site = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`
    bySite.set(site, (bySite.get(site) ?? 0) + (node.hitCount ?? 0))
  }
  console.log(
    `\n${path.basename(file)}: ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s, ${totalHits} samples`,
  )
  for (const [site, hits] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((hits / totalHits) * 100).toFixed(1).padStart(6)} %  ${site}`)
}
