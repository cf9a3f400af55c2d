import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js'
import { isUndecodable, withUndecodableRequests } from './undecodable-requests.ts'

const method: MethodDefinition<{ n: number }, unknown> = {
  path: '/t.T/M',
  requestStream: false,
  responseStream: false,
  requestSerialize: () => Buffer.alloc(0),
  requestDeserialize: (bytes) => {
    if (bytes.length === 0) throw new Error('index out of range')
    return { n: bytes[0]! }
  },
  responseSerialize: () => Buffer.alloc(0),
  responseDeserialize: () => ({}),
}

describe('undecodable requests', () => {
  it('passes decodable requests through and turns a decoding failure into a marker', () => {
    const wrapped = withUndecodableRequests({ M: method } as ServiceDefinition).M!
    assert.deepEqual(wrapped.requestDeserialize(Buffer.from([7])), { n: 7 })
    const marker = wrapped.requestDeserialize(Buffer.alloc(0)) as object
    assert.equal(isUndecodable(marker), true)
    assert.equal(isUndecodable({ n: 1 }), false)
  })
})
