import { fileURLToPath } from 'node:url'
import * as protoLoader from '@grpc/proto-loader'
import type { ProtoGrpcType } from './generated/calculator.ts'

export const protoRoot = fileURLToPath(new URL('../../proto/', import.meta.url))
export const calculatorProtoFile = 'summa/v1/calculator.proto'

/**
 * proto-loader options shared by server and clients. int64 as decimal strings:
 * a JavaScript number would silently round anything past 2^53.
 */
export const protoLoaderOptions: protoLoader.Options = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoRoot],
}

export function loadCalculatorPackage(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(calculatorProtoFile, protoLoaderOptions)
}

export type CalculatorProto = ProtoGrpcType

/**
 * summa's own copies of the wire contracts of the three "distributed sum"
 * projects it descends from (proto/compat/calculator_service.proto says why
 * they exist and how they are served).
 */
export const compatProtoFiles = [
  'compat/calculator_service.proto',
  'compat/sum_service.proto',
  'compat/summation.proto',
] as const

export function loadCompatPackage(): protoLoader.PackageDefinition {
  return protoLoader.loadSync([...compatProtoFiles], protoLoaderOptions)
}
