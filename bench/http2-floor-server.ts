import http2 from 'node:http2'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddRequest__Output } from '../src/shared/generated/summa/v1/AddRequest.ts'
import type { AddResponse } from '../src/shared/generated/summa/v1/AddResponse.ts'
import { loadCalculatorPackage } from '../src/shared/proto.ts'

/**
 * A measurement, not a server to use: the same Add as bench/bare-server.ts,
 * answered on Node's HTTP/2 directly instead of through grpc-js (the same
 * proto-loader codec, the gRPC framing and trailers written by hand, no
 * deadlines, metadata, compression or error handling). The difference in CPU
 * per call between the two is what grpc-js itself costs; what is left is the
 * floor of any gRPC server on node:http2 on this machine.
 *
 * Usage: node bench/http2-floor-server.ts PORT, then drive it with
 * `summa load --grpc 127.0.0.1:PORT` and read its CPU time from /proc.
 */
const port = Number(process.argv[2] ?? 0)
const service = loadCalculatorPackage()['summa.v1.CalculatorService'] as Record<
  string,
  MethodDefinition<AddRequest__Output, AddResponse>
>
const add = service.Add!
const trailers = { 'grpc-status': '0' }

const server = http2.createServer({ settings: { maxConcurrentStreams: 1000 } })
server.on('stream', (stream) => {
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  stream.on('end', () => {
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
    // One uncompressed message: a 1-byte flag, a 4-byte length, the protobuf bytes.
    const request = add.requestDeserialize(body.subarray(5))
    const message = add.responseSerialize({
      requestId: request.requestId,
      sum: (BigInt(request.num1) + BigInt(request.num2)).toString(),
      replayed: false,
      acceptedAt: new Date().toISOString(),
    })
    const frame = Buffer.allocUnsafe(5 + message.length)
    frame[0] = 0
    frame.writeUInt32BE(message.length, 1)
    message.copy(frame, 5)
    stream.respond({ ':status': 200, 'content-type': 'application/grpc+proto' }, { waitForTrailers: true })
    stream.once('wantTrailers', () => stream.sendTrailers(trailers))
    stream.end(frame)
  })
})
server.listen(port, '127.0.0.1', () => {
  const address = server.address()
  console.log(`listening ${typeof address === 'object' && address !== null ? address.port : port}`)
})
process.once('SIGTERM', () => process.exit(0))
process.once('SIGINT', () => process.exit(0))
