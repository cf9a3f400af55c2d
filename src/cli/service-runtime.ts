import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * V8 settings for the three service processes, measured with `make bench`
 * (docs/PERFORMANCE.md). With V8's defaults on a machine with many GB of
 * memory, the young generation grows to 64 MB per semi-space and the old
 * generation to about three times its live size before a full collection: a
 * calculator whose live heap is ~40 MB sat at 350–390 MB resident under load,
 * and each scavenge of the big young generation paused it for 16–21 ms, which
 * showed up in the Add p99. A 4 MB semi-space keeps scavenges at 2–3 ms, and a
 * 50 % growing factor collects the old generation at 1.5× its live size.
 * Neither is a cap: the heap can still grow as far as the work needs.
 */
export const serviceNodeFlags: readonly string[] = ['--max-semi-space-size=4', '--heap-growing-percent=50']

/**
 * The CLI entry point next to this module: `dist/bin/summa.js` when running
 * the compiled build, `src/bin/summa.ts` when running the sources.
 */
export const cliEntry = fileURLToPath(
  new URL(`../bin/summa${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url),
)

/** The command line that starts one service the way `summa up` does. */
export function serviceCommand(service: 'calculator' | 'relay' | 'aggregator'): string[] {
  return [...serviceNodeFlags, cliEntry, service]
}
