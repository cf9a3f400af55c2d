import { randomUUID } from 'node:crypto'
import { authMetadata } from '../shared/auth/bearer-credentials.ts'
import { CalculatorClient, channelCredentialsOf } from '../shared/calculator-client.ts'
import type { Output } from '../shared/command-output.ts'
import type { Config } from '../shared/config.ts'
import { clientTlsOf } from '../shared/tls/tls-settings.ts'

/** `summa add NUM1 NUM2 [--id UUID]`: one Add; prints the answer as JSON. */
export async function addCommand(
  config: Config,
  args: { num1: string; num2: string; id?: string },
  io: Output,
  apiKey?: string,
): Promise<number> {
  const client = new CalculatorClient(
    `${config.SUMMA_HOST}:${config.SUMMA_GRPC_PORT}`,
    {},
    channelCredentialsOf(clientTlsOf(config)),
  )
  try {
    const response = await client.add({
      requestId: args.id ?? randomUUID(),
      num1: args.num1,
      num2: args.num2,
      metadata: authMetadata(apiKey),
    })
    io.out(JSON.stringify(response))
    return 0
  } catch (error) {
    const grpcError = error as { code?: number; details?: string; message?: string }
    io.err(`add failed: ${grpcError.details ?? grpcError.message} (gRPC status ${grpcError.code})`)
    return 1
  } finally {
    client.close()
  }
}
