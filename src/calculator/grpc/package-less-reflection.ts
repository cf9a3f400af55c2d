import type * as grpc from '@grpc/grpc-js'
import type { PackageDefinition } from '@grpc/proto-loader'

type ReflectionRequest = { fileContainingSymbol?: string } & Record<string, unknown>
type ReflectionResponse = { listServicesResponse?: { service: { name: string }[] } } & Record<string, unknown>

/**
 * @grpc/reflection (1.0.4) indexes the symbols of a file without a package
 * under a leading dot (`.CalculatorService`), so it lists such a service as
 * `.CalculatorService` and answers `file_containing_symbol: CalculatorService`
 * (what grpcurl asks for `CalculatorService/Add`) with NOT_FOUND. This wraps
 * the server the reflection service registers itself on: requests for a
 * package-less symbol are looked up under the dotted key, and listed names
 * lose the dot, as a protoc-generated server reflects them. Everything else
 * passes through unchanged.
 */
export function withPackageLessSymbols(
  server: grpc.Server,
  definition: PackageDefinition,
): Pick<grpc.Server, 'addService'> {
  // A fully qualified name without a dot is a top-level symbol of a file without a package.
  const packageLess = new Set(Object.keys(definition).filter((name) => !name.includes('.')))
  const request = (message: ReflectionRequest): ReflectionRequest => {
    const symbol = message.fileContainingSymbol
    if (symbol === undefined || !packageLess.has(symbol.split('.')[0] ?? '')) return message
    return { ...message, fileContainingSymbol: `.${symbol}` }
  }
  const response = (message: ReflectionResponse): ReflectionResponse => {
    const listed = message.listServicesResponse
    if (listed === undefined) return message
    const service = listed.service.map(({ name }) => ({ name: name.replace(/^\./, '') }))
    return { ...message, listServicesResponse: { ...listed, service } }
  }
  return {
    addService(service, implementation) {
      const wrapped = Object.fromEntries(
        Object.entries(implementation).map(([name, handler]) => [
          name,
          (stream: grpc.ServerDuplexStream<ReflectionRequest, ReflectionResponse>) =>
            (handler as (stream: unknown) => void)(translated(stream, request, response)),
        ]),
      )
      server.addService(service, wrapped)
    },
  }
}

/** The stream as the reflection handler sees it: requests rewritten as read, responses as written. */
function translated(
  stream: grpc.ServerDuplexStream<ReflectionRequest, ReflectionResponse>,
  request: (message: ReflectionRequest) => ReflectionRequest,
  response: (message: ReflectionResponse) => ReflectionResponse,
): grpc.ServerDuplexStream<ReflectionRequest, ReflectionResponse> {
  return new Proxy(stream, {
    get(target, property) {
      if (property === 'on')
        return (event: string, listener: (...args: unknown[]) => void) => {
          if (event !== 'data') return target.on(event, listener)
          return target.on('data', (message: ReflectionRequest) => listener(request(message)))
        }
      if (property === 'write')
        return (message: ReflectionResponse, ...rest: unknown[]) =>
          (target.write as (...args: unknown[]) => boolean)(response(message), ...rest)
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
