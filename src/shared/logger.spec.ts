import assert from 'node:assert/strict'
import { it } from 'node:test'
import { pino } from 'pino'
import { createLogger } from './logger.ts'

it('writes stdout synchronously: a line logged before the stop signal is re-raised is not lost in flight', () => {
  const log = createLogger({ level: 'silent', service: 'calculator' })
  const stream = (log as unknown as Record<symbol, { sync?: boolean; fd?: number }>)[pino.symbols.streamSym]
  assert.equal(stream?.fd, 1)
  assert.equal(stream?.sync, true)
})
