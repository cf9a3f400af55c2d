/**
 * The HTTP/2 client connection preface (RFC 9113 §3.4): the 24-byte magic string,
 * then a SETTINGS frame, which must be the client's first frame. A connection
 * that has sent both has finished its handshake; until then it has cost us a
 * socket and nothing else.
 */
const magic = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')
const frameHeaderBytes = 9
const settingsFrameType = 0x4
/** SETTINGS_MAX_FRAME_SIZE's initial value: no first frame may be larger. */
const maxFramePayloadBytes = 16_384

/** The most bytes a complete preface can take: more and it is not one. */
export const maxClientPrefaceBytes = magic.length + frameHeaderBytes + maxFramePayloadBytes

export type PrefaceState = 'incomplete' | 'complete' | 'invalid'

/** Whether `received` (the first bytes of a connection) begins with a complete, well-formed client preface. */
export function clientPreface(received: Buffer): PrefaceState {
  const magicSeen = Math.min(received.length, magic.length)
  if (!received.subarray(0, magicSeen).equals(magic.subarray(0, magicSeen))) return 'invalid'
  if (received.length < magic.length + frameHeaderBytes) return 'incomplete'
  const header = magic.length
  const payloadBytes = received.readUIntBE(header, 3)
  const type = received[header + 3]
  const streamId = received.readUInt32BE(header + 5) & 0x7fff_ffff
  // A SETTINGS frame is on stream 0 and its payload is whole 6-byte settings.
  if (type !== settingsFrameType || streamId !== 0) return 'invalid'
  if (payloadBytes > maxFramePayloadBytes || payloadBytes % 6 !== 0) return 'invalid'
  return received.length >= header + frameHeaderBytes + payloadBytes ? 'complete' : 'incomplete'
}
