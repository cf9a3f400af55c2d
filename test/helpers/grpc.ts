import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'

/** Asserts that `promise` rejects with gRPC status `code`, and returns the error for more checks. */
export async function rejectsWithStatus(
  promise: Promise<unknown>,
  code: grpc.status,
): Promise<grpc.ServiceError> {
  try {
    await promise
  } catch (error) {
    const serviceError = error as grpc.ServiceError
    assert.equal(grpc.status[serviceError.code], grpc.status[code], serviceError.details)
    return serviceError
  }
  assert.fail(`expected gRPC status ${grpc.status[code]}`)
}

const healthProto = fileURLToPath(import.meta.resolve('grpc-health-check/proto/health/v1/health.proto'))
const reflectionProto = (version: ReflectionVersion) =>
  fileURLToPath(
    import.meta.resolve(`@grpc/reflection/build/proto/grpc/reflection/${version}/reflection.proto`),
  )
type ReflectionVersion = 'v1' | 'v1alpha'

// biome-ignore lint/suspicious/noExplicitAny: clients built from a proto at run time have no static type
type AnyClient = grpc.Client & { [method: string]: any }

/** How to reach a server: plaintext by default, or TLS credentials and channel options such as a name override. */
export interface Channel {
  credentials?: grpc.ChannelCredentials
  options?: grpc.ChannelOptions
}

function clientOf(file: string, service: string, address: string, channel: Channel = {}): AnyClient {
  const definition = grpc.loadPackageDefinition(
    protoLoader.loadSync(file, { keepCase: true, defaults: true, enums: String }),
  )
  const ctor = service
    .split('.')
    .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], definition)
  return new (ctor as typeof grpc.Client)(
    address,
    channel.credentials ?? grpc.credentials.createInsecure(),
    channel.options,
  ) as AnyClient
}

/** grpc.health.v1.Health/Check, as a load balancer or Kubernetes would call it. */
export function healthCheck(address: string, service = '', channel: Channel = {}): Promise<string> {
  const client = clientOf(healthProto, 'grpc.health.v1.Health', address, channel)
  return new Promise((resolve, reject) => {
    client.Check(
      { service },
      { deadline: Date.now() + 3000 },
      (error: Error | null, response: { status: string }) => {
        client.close()
        if (error) reject(error)
        else resolve(response.status)
      },
    )
  })
}

/** Lists services through server reflection, as `grpcurl list` does (it tries v1, then v1alpha). */
export function listServices(
  address: string,
  channel: Channel = {},
  version: ReflectionVersion = 'v1',
): Promise<string[]> {
  const client = clientOf(
    reflectionProto(version),
    `grpc.reflection.${version}.ServerReflection`,
    address,
    channel,
  )
  return new Promise((resolve, reject) => {
    const call = client.ServerReflectionInfo() as grpc.ClientDuplexStream<
      unknown,
      { list_services_response?: { service: { name: string }[] } }
    >
    call.on('data', (response) => {
      resolve(response.list_services_response?.service.map((s: { name: string }) => s.name) ?? [])
      call.end()
    })
    call.on('error', reject)
    call.on('end', () => client.close())
    call.write({ list_services: '' })
  })
}
