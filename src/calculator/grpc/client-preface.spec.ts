import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { clientPreface } from './client-preface.ts'

const magic = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

function frame(type: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9)
  header.writeUIntBE(payload.length, 0, 3)
  header[3] = type
  header.writeUInt32BE(streamId, 5)
  return Buffer.concat([header, payload])
}

describe('clientPreface', () => {
  const settings = frame(0x4, 0, Buffer.alloc(12))

  it('is complete after the magic and a whole SETTINGS frame, whatever follows', () => {
    assert.equal(clientPreface(Buffer.concat([magic, frame(0x4, 0, Buffer.alloc(0))])), 'complete')
    assert.equal(clientPreface(Buffer.concat([magic, settings])), 'complete')
    assert.equal(clientPreface(Buffer.concat([magic, settings, frame(0x1, 1, Buffer.alloc(40))])), 'complete')
  })

  it('is incomplete while any part is missing', () => {
    assert.equal(clientPreface(Buffer.alloc(0)), 'incomplete')
    assert.equal(clientPreface(magic.subarray(0, 10)), 'incomplete')
    assert.equal(clientPreface(magic), 'incomplete')
    assert.equal(clientPreface(Buffer.concat([magic, settings.subarray(0, 15)])), 'incomplete')
  })

  it('is invalid for anything else: HTTP/1, another first frame, an oversized SETTINGS', () => {
    assert.equal(clientPreface(Buffer.from('GET / HTTP/1.1\r\n')), 'invalid')
    assert.equal(clientPreface(Buffer.from('PRI * HTTP/1.1')), 'invalid')
    assert.equal(clientPreface(Buffer.concat([magic, frame(0x1, 1, Buffer.alloc(6))])), 'invalid')
    assert.equal(clientPreface(Buffer.concat([magic, frame(0x4, 3, Buffer.alloc(6))])), 'invalid')
    assert.equal(clientPreface(Buffer.concat([magic, frame(0x4, 0, Buffer.alloc(7))])), 'invalid')
    const huge = frame(0x4, 0, Buffer.alloc(0))
    huge.writeUIntBE(1 << 20, 0, 3)
    assert.equal(clientPreface(Buffer.concat([magic, huge])), 'invalid')
  })
})
