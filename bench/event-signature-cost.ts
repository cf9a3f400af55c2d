import { randomUUID } from 'node:crypto'
import { generateEventKey } from '../src/shared/event-keys.ts'
import { EventVerifier, parseEventKey, signEvent } from '../src/shared/event-signature.ts'
import type { SumEvent } from '../src/shared/sum-event.ts'

/**
 * What authentic events cost per event, on this machine: the calculator's
 * signEvent and the aggregator's verify, each timed over many events after a
 * warm-up, in CPU time (docs/SECURITY.md quotes the result). Run:
 *   node bench/event-signature-cost.ts [events]
 */
const count = Number(process.argv[2] ?? 200_000)
const key = parseEventKey(generateEventKey(), 'bench')
const verifier = new EventVerifier([key, parseEventKey(generateEventKey(), 'bench-old')])
const events: SumEvent[] = Array.from({ length: 1000 }, (_, i) => ({
  v: 1,
  eventId: randomUUID(),
  requestId: randomUUID(),
  num1: String(i * 7919),
  num2: '-42',
  sum: String(i * 7919 - 42),
  acceptedAt: new Date(1_800_000_000_000 + i).toISOString(),
}))
const signatures = events.map((event) => signEvent(key, event))

/** CPU time (user + system) per event, not wall time: on a shared machine the wall clock counts other processes' turns. */
function timeNsPerEvent(run: (index: number) => unknown): number {
  for (let i = 0; i < 20_000; i++) run(i % events.length)
  const started = process.cpuUsage()
  for (let i = 0; i < count; i++) run(i % events.length)
  const used = process.cpuUsage(started)
  return ((used.user + used.system) * 1000) / count
}

const results = { events: count, node: process.version, signNs: 0, verifyNs: 0 }
for (let round = 0; round < 3; round++) {
  const sign = timeNsPerEvent((i) => signEvent(key, events[i]!))
  const verify = timeNsPerEvent((i) => {
    if (verifier.verify(events[i]!, signatures[i]) !== null) throw new Error('a good signature failed')
  })
  // The best of three rounds: the least disturbed by the other work on a shared machine.
  results.signNs = round === 0 ? sign : Math.min(results.signNs, sign)
  results.verifyNs = round === 0 ? verify : Math.min(results.verifyNs, verify)
}
console.log(
  JSON.stringify({ ...results, signNs: Math.round(results.signNs), verifyNs: Math.round(results.verifyNs) }),
)
