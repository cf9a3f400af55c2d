import type { TestContext } from 'node:test'

type Context = Pick<TestContext, 'after'>
const stacks = new WeakMap<Context, Array<() => unknown>>()

/**
 * Registers `fn` to run when the test ends, newest first, like the services'
 * own Lifecycle: a service is stopped before the database and topic it uses
 * are dropped. (node:test runs t.after hooks in the order they were added.)
 */
export function defer(t: Context, fn: () => unknown): void {
  let stack = stacks.get(t)
  if (stack === undefined) {
    const created: Array<() => unknown> = []
    stack = created
    stacks.set(t, created)
    t.after(async () => {
      const errors: unknown[] = []
      for (const cleanup of created.reverse()) {
        try {
          await cleanup()
        } catch (error) {
          errors.push(error)
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, 'test cleanup failed')
    })
  }
  stack.push(fn)
}
