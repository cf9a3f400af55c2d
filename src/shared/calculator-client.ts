import * as grpc from '@grpc/grpc-js'
import type { AddResponse__Output } from './generated/summa/v1/AddResponse.ts'
import type { CalculatorServiceClient } from './generated/summa/v1/CalculatorService.ts'
import { grpcChannelTarget } from './grpc-targets.ts'
import { type CalculatorProto, loadCalculatorPackage } from './proto.ts'
import type { ClientTlsFiles } from './tls/tls-settings.ts'

/** Plaintext without `tls`; with it, TLS trusting its CA (or the system's) and presenting its certificate for mTLS. */
export function channelCredentialsOf(tls: ClientTlsFiles | undefined): grpc.ChannelCredentials {
  if (tls === undefined) return grpc.credentials.createInsecure()
  return grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null)
}

export interface AddCall {
  requestId: string
  num1: string
  num2: string
  deadlineMs?: number
  metadata?: grpc.Metadata
}

/** A typed gRPC client for CalculatorService, as used by the CLI, tests and load tools. */
export class CalculatorClient {
  readonly raw: CalculatorServiceClient

  /**
   * `address`: `host:port`, or several calculators as `ip:port,ip:port`, or one DNS
   * name for all of them; calls go round robin (grpcChannelTarget).
   * `credentials`: plaintext by default; grpc.credentials.createSsl(ca) for a TLS endpoint such as the gateway's.
   */
  constructor(
    address: string,
    options: grpc.ChannelOptions = {},
    credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  ) {
    const proto = grpc.loadPackageDefinition(loadCalculatorPackage()) as unknown as CalculatorProto
    const channel = grpcChannelTarget(address)
    this.raw = new proto.summa.v1.CalculatorService(channel.target, credentials, {
      ...channel.options,
      ...options,
    })
  }

  add({
    requestId,
    num1,
    num2,
    deadlineMs = 5000,
    metadata = new grpc.Metadata(),
  }: AddCall): Promise<AddResponse__Output> {
    return new Promise((resolve, reject) => {
      this.raw.Add(
        { requestId, num1, num2 },
        metadata,
        { deadline: Date.now() + deadlineMs },
        (error, response) => {
          if (error) reject(error)
          else resolve(response!)
        },
      )
    })
  }

  close(): void {
    this.raw.close()
  }
}
