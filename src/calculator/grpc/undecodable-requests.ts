import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js'

/** Marks a request whose bytes are not a valid message of the method's type. */
export const undecodable: unique symbol = Symbol('undecodable request')

export type MaybeUndecodable<T> = T | { [undecodable]: string }

export function isUndecodable<T extends object>(
  request: MaybeUndecodable<T>,
): request is { [undecodable]: string } {
  return undecodable in request
}

/**
 * grpc-js answers a request it cannot deserialize with INTERNAL, which tells a
 * client the server failed. It did not: the client sent bytes that are not the
 * message. This definition hands such requests to the handler as a marker
 * instead, so it can answer INVALID_ARGUMENT like any other bad input.
 */
export function withUndecodableRequests(service: ServiceDefinition): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(service).map(([name, method]) => {
      const definition = method as MethodDefinition<unknown, unknown>
      return [
        name,
        {
          ...definition,
          requestDeserialize: (bytes: Buffer) => {
            try {
              return definition.requestDeserialize(bytes)
            } catch (error) {
              return { [undecodable]: error instanceof Error ? error.message : String(error) }
            }
          },
        },
      ]
    }),
  ) as ServiceDefinition
}
