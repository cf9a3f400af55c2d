import * as grpc from '@grpc/grpc-js'
import type { AddRequest__Output } from '../../../shared/generated/summa/v1/AddRequest.ts'
import type { AddResponse } from '../../../shared/generated/summa/v1/AddResponse.ts'
import { loadCompatPackage } from '../../../shared/proto.ts'
import type { RawAddRequest } from '../../add-input.ts'
import type { AddCall } from '../calculator-server.ts'
import { isUndecodable, type MaybeUndecodable, withUndecodableRequests } from '../undecodable-requests.ts'
import { idempotencyKeyHeader, requestIdOf } from './idempotency-key.ts'

/**
 * The gRPC contracts of the three "distributed sum" projects summa descends
 * from, served by summa's one Add so that their existing clients work unchanged
 * (proto/compat/*.proto are summa's copies of their wire contracts). Each
 * request is two int32 fields numbered 1 and 2, each answer one int32 field
 * numbered 1; only the names differ, and they are all that is translated here.
 * Validation, group commit, outbox event, replays and metrics are Add's own.
 */
interface SeedContract {
  /** Fully qualified service name: the gRPC path's first part, and the `api` metric label. */
  service: string
  method: string
  numbers: (request: Record<string, unknown>) => [unknown, unknown]
  answer: (sum: number) => Record<string, number>
}

export const seedContracts: readonly SeedContract[] = [
  {
    service: 'CalculatorService',
    method: 'Add',
    numbers: (request) => [request.num1, request.num2],
    answer: (sum) => ({ sum }),
  },
  {
    service: 'SumService',
    method: 'AddNumbers',
    numbers: (request) => [request.firstNumber, request.secondNumber],
    answer: (sum) => ({ result: sum }),
  },
  {
    service: 'summationPackage.Summation',
    method: 'sumTwoNumbers',
    numbers: (request) => [request.a, request.b],
    answer: (sum) => ({ sum }),
  },
]

export const compatServiceNames = seedContracts.map((contract) => contract.service)

type AddHandler = (call: AddCall, callback: grpc.sendUnaryData<AddResponse>, api: string) => void

/** Registers the seed-compatible services on `server`, each answering through `add`. */
export function addCompatServices(server: grpc.Server, add: AddHandler): void {
  const definitions = grpc.loadPackageDefinition(loadCompatPackage())
  for (const contract of seedContracts) {
    const service = contract.service
      .split('.')
      .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], definitions) as {
      service: grpc.ServiceDefinition
    }
    const handler: grpc.handleUnaryCall<MaybeUndecodable<Record<string, unknown>>, Record<string, number>> = (
      call,
      callback,
    ) => {
      const request = call.request
      add(
        {
          // An undecodable request goes through as is: Add answers it INVALID_ARGUMENT and counts it.
          request: isUndecodable(request)
            ? (request as never)
            : toAddRequest(contract, request, call.metadata),
          metadata: call.metadata,
        },
        (error, response) => {
          if (error !== null || response === undefined || response === null) callback(error)
          // Add validated the sum against int32, so the conversion is exact.
          else callback(null, contract.answer(Number(response.sum)))
        },
        contract.service,
      )
    }
    server.addService(withUndecodableRequests(service.service), { [contract.method]: handler })
  }
}

function toAddRequest(
  contract: SeedContract,
  request: Record<string, unknown>,
  metadata: grpc.Metadata,
): AddRequest__Output & RawAddRequest {
  const [num1, num2] = contract.numbers(request)
  return {
    requestId: requestIdOf(metadata),
    num1: String(num1),
    num2: String(num2),
    compat: { requestIdFrom: `${idempotencyKeyHeader} metadata`, sumType: 'int32' },
  }
}
