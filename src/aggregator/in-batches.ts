const timedOut = Symbol('timed out')

/**
 * Groups an async iterable into batches of at most `maxSize`, yielding a batch
 * when it is full or `maxWaitMs` after its first item arrived. A read still
 * pending when a batch closes is kept for the next batch, so no item is lost.
 */
export async function* inBatches<T>(
  source: AsyncIterable<T>,
  maxSize: number,
  maxWaitMs: number,
): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]()
  let pending: Promise<IteratorResult<T>> | undefined
  const next = (): Promise<IteratorResult<T>> => {
    pending ??= iterator.next()
    return pending
  }
  while (true) {
    const first = await next()
    pending = undefined
    if (first.done) return
    const batch: T[] = [first.value]
    const deadline = performance.now() + maxWaitMs
    let ended = false
    while (batch.length < maxSize) {
      // Even with no time left, a zero-delay race still collects items that are
      // already buffered: a wait of 0 must not mean batches of one.
      const remaining = Math.max(0, deadline - performance.now())
      let timer: NodeJS.Timeout | undefined
      const result = await Promise.race([
        next(),
        new Promise<typeof timedOut>((resolve) => {
          timer = setTimeout(() => resolve(timedOut), remaining)
        }),
      ])
      clearTimeout(timer)
      if (result === timedOut) break
      pending = undefined
      if (result.done) {
        ended = true
        break
      }
      batch.push(result.value)
    }
    yield batch
    if (ended) return
  }
}
