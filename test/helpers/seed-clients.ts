import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import protobuf from 'protobufjs'
import descriptor from 'protobufjs/ext/descriptor/index.js'
import { compatProtoFiles, protoRoot } from '../../src/shared/proto.ts'
import { defer } from './cleanup.ts'

type Context = Parameters<typeof defer>[0]

/**
 * Clients of the three seed contracts, built from summa's own copies of their
 * wire contracts (proto/compat, field names as sent, numbers as JavaScript
 * numbers, as the seeds' clients have them).
 */
export const seedCalls = {
  '001': {
    service: 'CalculatorService',
    method: 'Add',
    request: (a: number, b: number) => ({ num1: a, num2: b }),
    sum: (r: Answer) => r.sum ?? Number.NaN,
  },
  '000': {
    service: 'SumService',
    method: 'AddNumbers',
    request: (a: number, b: number) => ({ firstNumber: a, secondNumber: b }),
    sum: (r: Answer) => r.result ?? Number.NaN,
  },
  '003': {
    service: 'summationPackage.Summation',
    method: 'sumTwoNumbers',
    request: (a: number, b: number) => ({ a, b }),
    sum: (r: Answer) => r.sum ?? Number.NaN,
  },
} as const

export type Seed = keyof typeof seedCalls
type Answer = Record<string, number>

const definitions = grpc.loadPackageDefinition(
  protoLoader.loadSync([...compatProtoFiles], { keepCase: true, defaults: true, includeDirs: [protoRoot] }),
)

/** How to reach the server: insecure by default, or TLS (a gateway's listener). */
export interface SeedChannel {
  credentials: grpc.ChannelCredentials
  options?: grpc.ChannelOptions
}

/** Calls `seed`'s method at `port` and resolves to the sum as the seed's client reads it. */
export function seedAdd(
  t: Context,
  seed: Seed,
  port: number,
  a: number,
  b: number,
  idempotencyKey?: string,
  channel: SeedChannel = { credentials: grpc.credentials.createInsecure() },
  /** More metadata for the call, such as `authorization`. */
  extra: Record<string, string> = {},
): Promise<number> {
  const call = seedCalls[seed]
  const Client = call.service
    .split('.')
    .reduce<unknown>(
      (node, part) => (node as Record<string, unknown>)[part],
      definitions,
    ) as typeof grpc.Client
  const client = new Client(`127.0.0.1:${port}`, channel.credentials, channel.options) as grpc.Client &
    Record<string, (...args: unknown[]) => void>
  defer(t, () => client.close())
  const metadata = new grpc.Metadata()
  if (idempotencyKey !== undefined) metadata.set('idempotency-key', idempotencyKey)
  for (const [name, value] of Object.entries(extra)) metadata.set(name, value)
  return new Promise((resolve, reject) => {
    client[call.method]!(
      call.request(a, b),
      metadata,
      { deadline: Date.now() + 10_000 },
      (error: grpc.ServiceError | null, response: Answer) =>
        error ? reject(error) : resolve(call.sum(response)),
    )
  })
}

const reflectionProto = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', {
  keepCase: true,
  defaults: true,
  oneofs: true,
  includeDirs: [new URL('../../node_modules/@grpc/reflection/build/proto/', import.meta.url).pathname],
})

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] }
  file_descriptor_response?: { file_descriptor_proto: Uint8Array[] }
  error_response?: { error_code: number; error_message: string }
}

const ReflectionClient = (
  grpc.loadPackageDefinition(reflectionProto) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: typeof grpc.Client } } }
  }
).grpc.reflection.v1.ServerReflection

/** One request on grpc.reflection.v1.ServerReflection, as grpcurl sends it. */
async function reflect(address: string, request: Record<string, unknown>): Promise<ReflectionResponse> {
  const client = new ReflectionClient(address, grpc.credentials.createInsecure()) as grpc.Client & {
    ServerReflectionInfo: () => grpc.ClientDuplexStream<Record<string, unknown>, ReflectionResponse>
  }
  try {
    return await new Promise((resolve, reject) => {
      const call = client.ServerReflectionInfo()
      call.on('data', (response: ReflectionResponse) => {
        resolve(response)
        call.end()
      })
      call.on('error', reject)
      call.write(request)
    })
  } finally {
    client.close()
  }
}

export async function reflectedServices(address: string): Promise<string[]> {
  const response = await reflect(address, { list_services: '*' })
  return (response.list_services_response?.service ?? []).map((s) => s.name)
}

/**
 * What grpcurl does for `grpcurl -plaintext -d '{json}' address Service/Method`
 * without a proto file: asks reflection for the file containing `Service`,
 * builds the descriptors it returns, encodes the JSON with the method's input
 * type, calls the path and decodes the answer with the output type.
 */
export async function callThroughReflection(
  address: string,
  path: string,
  json: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const [service, method] = path.split('/') as [string, string]
  const response = await reflect(address, { file_containing_symbol: service })
  if (response.error_response) throw new Error(`reflection: ${response.error_response.error_message}`)
  const files = (response.file_descriptor_response?.file_descriptor_proto ?? []).map((bytes) =>
    descriptor.FileDescriptorProto.decode(bytes),
  )
  // protobufjs/ext/descriptor adds Root.fromDescriptor without declaring it.
  const fromDescriptor = (protobuf.Root as unknown as { fromDescriptor: (set: object) => protobuf.Root })
    .fromDescriptor
  const root = fromDescriptor({ file: files })
  const rpc = root.lookupService(service).methods[method]
  if (rpc === undefined) throw new Error(`reflection: ${service} has no method ${method}`)
  const input = root.lookupType(rpc.requestType)
  const output = root.lookupType(rpc.responseType)
  const client = new grpc.Client(address, grpc.credentials.createInsecure())
  try {
    return await new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        `/${service}/${method}`,
        (value: Record<string, unknown>) => Buffer.from(input.encode(input.fromObject(value)).finish()),
        (bytes: Buffer) => output.toObject(output.decode(bytes), { defaults: true, longs: String }),
        json,
        { deadline: Date.now() + 10_000 },
        (error, value) => (error ? reject(error) : resolve(value as Record<string, unknown>)),
      )
    })
  } finally {
    client.close()
  }
}
