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
 * Neither is a cap: the heap can still grow as far as the work needs. (A 2 MB
 * semi-space saved its 4 MB but doubled the scavenges, and their time by a third.)
 *
 * The other two bound the C++ side, outside V8's heap:
 * - Maglev, V8's mid-tier compiler, frees a finished compilation on a worker
 *   thread by default, and those threads compile the queued functions first.
 *   When load starts, a hundred functions or more turn hot at once, and every
 *   finished job kept its compilation memory until the queue was empty: V8 counted
 *   8–18 MB of it at once in the calculator (128 jobs in one trace), and the C
 *   allocator kept what was freed. Freed on the main
 *   thread as each job is installed (a few frees per optimized function, during
 *   warm-up only), the peak was ~5 MB, and the calculator's peak resident set
 *   6.5 MB lower at the same CPU (two calculators side by side at 250/s).
 * - One V8 worker thread instead of Node's four: a service's JavaScript is one
 *   thread, the deployments give each process one core, and each worker thread
 *   keeps an allocator arena of its own (3.8 MB of them instead of 8.5 in the
 *   calculator under load, peak resident set 3 MB lower, same CPU, scavenges no
 *   longer).
 */
export const serviceNodeFlags: readonly string[] = [
  '--max-semi-space-size=4',
  '--heap-growing-percent=50',
  '--no-maglev-destroy-on-background',
  '--v8-pool-size=1',
]

/**
 * V8 settings for `summa load`, whose own pauses count in every latency it
 * reports (latency runs from each request's scheduled send time). With V8's
 * defaults its young generation grew to 64 MB semi-spaces within a 10 s run
 * at 1,000 calls/s, and its scavenges with it: 40-44 ms by the end, half of
 * the 24 over 12 ms. Capped at 8 MB: 92 scavenges, the longest 16 ms, most
 * 5-9 ms; the client's p99 against the bare grpc-js server at 1,000/s had a
 * median of 29 ms over five runs instead of 47 over seven (docs/PERFORMANCE.md).
 * No old-generation setting: the services' 50 % growing factor gave the
 * client 9 full collections in 10 s instead of 2, for nothing.
 */
export const loadNodeFlags: readonly string[] = ['--max-semi-space-size=8']

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
