import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import type { Message } from '@platformatic/kafka'
import { deadLetterCopy, deadLetterReference } from './dead-letter-record.ts'

function message(
  value: Buffer,
  headers: Array<[string, string]>,
  key = 'k',
): Message<Buffer, Buffer, Buffer, Buffer> {
  return {
    topic: 'sums',
    partition: 2,
    offset: 41n,
    key: Buffer.from(key),
    value,
    headers: new Map(headers.map(([name, headerValue]) => [Buffer.from(name), Buffer.from(headerValue)])),
  } as unknown as Message<Buffer, Buffer, Buffer, Buffer>
}

function headerList(headers: Map<Buffer, Buffer>): Array<[string, string]> {
  return [...headers].map(([name, value]) => [name.toString(), value.toString()])
}

describe('dead-letter records', () => {
  it('a copy keeps the producer headers but none of the summa-dlq-* ones it planted', () => {
    const copy = deadLetterCopy(
      'sums.dlq',
      'sums',
      message(Buffer.from('x'), [
        ['summa-dlq-reason', 'planted'],
        ['origin', 'kcat'],
        ['summa-dlq-original-offset', '999'],
      ]),
      'value is not JSON',
    )
    const headers = headerList(copy.headers)
    assert.deepEqual(
      headers.filter(([name]) => !name.startsWith('summa-dlq-')),
      [['origin', 'kcat']],
    )
    assert.deepEqual(
      headers.filter(([name]) => name === 'summa-dlq-reason' || name === 'summa-dlq-original-offset'),
      [
        ['summa-dlq-reason', 'value is not JSON'],
        ['summa-dlq-original-offset', '41'],
      ],
    )
    assert.equal(copy.value.toString(), 'x')
  })

  it('a reference is small whatever the original: size and digest instead of the value, big key and headers dropped', () => {
    const value = Buffer.alloc(1_000_000, 7)
    const reference = deadLetterReference(
      'sums.dlq',
      'sums',
      message(
        value,
        [
          ['big', 'h'.repeat(10_000)],
          ['origin', 'kcat'],
        ],
        'k'.repeat(2000),
      ),
      'value is not JSON',
    )
    const headers = Object.fromEntries(headerList(reference.headers))
    assert.equal(headers['summa-dlq-kind'], 'reference')
    assert.equal(headers['summa-dlq-original-size'], '1000000')
    assert.equal(headers['summa-dlq-original-sha256'], createHash('sha256').update(value).digest('hex'))
    assert.equal(headers.big, undefined)
    assert.equal(reference.key, undefined)
    const description = JSON.parse(reference.value.toString())
    assert.deepEqual(
      [description.reference, description.keyDropped, description.droppedHeaders],
      ['sums/2/41', true, 1],
    )
    assert.ok(reference.value.length < 512)
  })
})
