import * as grpc from '@grpc/grpc-js'
import type { AddRequest__Output } from '../src/shared/generated/summa/v1/AddRequest.ts'
import type { AddResponse } from '../src/shared/generated/summa/v1/AddResponse.ts'
import type { CalculatorServiceHandlers } from '../src/shared/generated/summa/v1/CalculatorService.ts'
import { type CalculatorProto, loadCalculatorPackage } from '../src/shared/proto.ts'

/**
 * The bench's baseline: the same proto on a bare grpc-js server that adds the
 * two numbers and answers, with no database, broker or validation beyond
 * parsing. Its throughput is the transport's ceiling on this machine, which is
 * what summa's own numbers are compared with.
 *
 * Usage: node bench/bare-server.ts PORT (prints "listening PORT" when bound).
 */
const port = Number(process.argv[2] ?? 0)
const proto = grpc.loadPackageDefinition(loadCalculatorPackage()) as unknown as CalculatorProto
const server = new grpc.Server({ 'grpc.max_concurrent_streams': 1000 })
const handlers: CalculatorServiceHandlers = {
  Add(call: grpc.ServerUnaryCall<AddRequest__Output, AddResponse>, callback) {
    const { requestId, num1, num2 } = call.request
    try {
      callback(null, {
        requestId,
        sum: (BigInt(num1) + BigInt(num2)).toString(),
        replayed: false,
        acceptedAt: new Date().toISOString(),
      })
    } catch {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: 'numbers must be int64' })
    }
  },
}
server.addService(proto.summa.v1.CalculatorService.service, handlers)
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => {
  if (error) {
    console.error(error.message)
    process.exit(1)
  }
  console.log(`listening ${bound}`)
})
const stop = (): void => server.tryShutdown(() => process.exit(0))
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
