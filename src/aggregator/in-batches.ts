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
    // One timer per batch, not one per item: at thousands of records a second a
    // timer and a promise per record were a measurable share of the CPU.
    // Items already buffered resolve before even a 0 ms timer fires, so a wait
    // of 0 still collects them instead of making batches of one.
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<typeof timedOut>((resolve) => {
      timer = setTimeout(() => resolve(timedOut), maxWaitMs)
    })
    let ended = false
    try {
      while (batch.length < maxSize) {
        const result = await Promise.race([next(), expired])
        if (result === timedOut) break
        pending = undefined
        if (result.done) {
          ended = true
          break
        }
        batch.push(result.value)
      }
    } finally {
      clearTimeout(timer)
    }
    yield batch
    if (ended) return
  }
}
