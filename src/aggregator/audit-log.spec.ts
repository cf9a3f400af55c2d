import assert from 'node:assert/strict'
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import type { AuditLine } from '../shared/audit/audit-line.ts'
import { AuditLog } from './audit-log.ts'
import { SumFile } from './sum-file.ts'

function line(seq: number): AuditLine {
  return {
    seq: String(seq),
    eventId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    requestId: `00000000-0000-4000-9000-${String(seq).padStart(12, '0')}`,
    topic: 't',
    partition: 0,
    offset: String(seq),
    sum: '1',
    acceptedAt: '2026-11-22T00:00:00.000Z',
    appliedAt: '2026-11-22T00:00:00.000Z',
  }
}

describe('AuditLog', () => {
  it('cuts a torn last line and reports the last complete seq', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'summa-audit-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const log = new AuditLog(dir)
    assert.equal(await log.open(), '0')
    await log.append([line(1), line(2)])
    await log.close()
    await appendFile(log.path, '{"seq":"3","eventId":')
    const reopened = new AuditLog(dir)
    assert.equal(await reopened.open(), '2')
    await reopened.append([line(3)])
    await reopened.close()
    const lines = (await readFile(log.path, 'utf8')).trimEnd().split('\n')
    assert.deepEqual(
      lines.map((text) => JSON.parse(text).seq),
      ['1', '2', '3'],
    )
  })
})

describe('AuditLog after a power cut', () => {
  it('finds the last complete line behind a zero-filled tail longer than one read', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'summa-audit-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const log = new AuditLog(dir)
    await log.open()
    await log.append([line(1), line(2)])
    await log.close()
    const good = await readFile(log.path)
    // What a file system that extends the size before the data can leave behind.
    await appendFile(log.path, Buffer.alloc(200 * 1024))
    const reopened = new AuditLog(dir)
    assert.equal(await reopened.open(), '2')
    await reopened.close()
    assert.deepEqual(await readFile(log.path), good)
  })

  it('empties a file that holds no complete line', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'summa-audit-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const log = new AuditLog(dir)
    await writeFile(log.path, '{"seq":"1","eventId":')
    assert.equal(await log.open(), '0')
    await log.close()
    assert.equal(await readFile(log.path, 'utf8'), '')
  })
})

describe('SumFile', () => {
  it('replaces the file whole and coalesces writes to the newest value', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'summa-sum-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const file = new SumFile(dir)
    await writeFile(file.path, 'garbage that is not a number')
    await Promise.all(['1', '2', '3'].map((total) => file.write(total)))
    await file.write('99999999999999999999999999')
    assert.equal(await readFile(file.path, 'utf8'), '99999999999999999999999999\n')
  })
})
