import assert from 'node:assert/strict'
import { appendFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { status } from '@grpc/grpc-js'
import { type LedgerEntry, LedgerWriter, outcomeOf, readLedger } from './ledger.ts'

describe('ledger', () => {
  it('classifies statuses by what they tell the client', () => {
    assert.equal(outcomeOf(status.OK), 'ok')
    for (const code of [status.INVALID_ARGUMENT, status.OUT_OF_RANGE, status.ALREADY_EXISTS]) {
      assert.equal(outcomeOf(code), 'rejected')
    }
    for (const code of [status.DEADLINE_EXCEEDED, status.UNAVAILABLE, status.CANCELLED, status.INTERNAL]) {
      assert.equal(outcomeOf(code), 'unknown')
    }
  })

  it('round-trips entries and skips a torn last line', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'summa-ledger-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const file = path.join(dir, 'ledger.jsonl')
    const entry: LedgerEntry = {
      v: 1,
      requestId: '0f8fad5b-d9cb-469f-a165-70867728950e',
      num1: '1',
      num2: '2',
      outcome: 'ok',
      code: 'OK',
      sum: '3',
      replayed: false,
      attempt: 1,
      scheduledAt: new Date(0).toISOString(),
      latencyMs: 1.5,
    }
    const writer = new LedgerWriter(file)
    await writer.record(entry)
    await writer.record({ ...entry, attempt: 2, replayed: true })
    await writer.close()
    await appendFile(file, '{"v":1,"requestId":"torn')
    const read = []
    for await (const e of readLedger(file)) read.push(e)
    assert.deepEqual(read, [entry, { ...entry, attempt: 2, replayed: true }])
  })
})
