import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Metadata } from '@grpc/grpc-js'
import { requestIdOf } from './idempotency-key.ts'

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('requestIdOf', () => {
  it('mints a fresh UUID per call without the header', () => {
    const [first, second] = [requestIdOf(new Metadata()), requestIdOf(new Metadata())]
    assert.match(first, uuid)
    assert.match(second, uuid)
    assert.notEqual(first, second)
  })

  it('uses the header as sent, and joins several values so that validation refuses them', () => {
    const metadata = new Metadata()
    metadata.set('idempotency-key', '0F8FAD5B-D9CB-469F-A165-70867728950E')
    assert.equal(requestIdOf(metadata), '0F8FAD5B-D9CB-469F-A165-70867728950E')
    metadata.add('idempotency-key', '0f8fad5b-d9cb-469f-a165-70867728950e')
    assert.equal(requestIdOf(metadata).split(',').length, 2)
  })
})
