import * as grpc from '@grpc/grpc-js'
import type { AccessGuard } from '../../shared/auth/access-guard.ts'
import { toGrpcError } from '../../shared/grpc-status.ts'

/**
 * Services any caller may use: health, for load balancers and probes that hold
 * no key, and reflection, which describes the same contracts the repository
 * publishes (proto/) and lets grpcurl build a request before it has a key.
 */
const openServicePrefixes = ['/grpc.health.v1.', '/grpc.reflection.']

/** Metadata of a RESOURCE_EXHAUSTED answer: milliseconds until the client has a token again. */
export const retryAfterMetadataKey = 'retry-after-ms'

/**
 * A server interceptor that decides each call from its headers, before the
 * request is read or any handler runs: every method but health and reflection
 * needs the `add` scope (summa.v1 Add and the seed-compatible services alike).
 * Refused calls end with UNAUTHENTICATED, PERMISSION_DENIED or
 * RESOURCE_EXHAUSTED (with `retry-after-ms`). Registered after
 * incompleteRequests, so the status it sends also stops that one's timer.
 */
export function authorizedCalls(guard: AccessGuard): grpc.ServerInterceptor {
  return (method, call) => {
    if (openServicePrefixes.some((prefix) => method.path.startsWith(prefix)))
      return new grpc.ServerInterceptingCall(call)
    let refused = false
    const intercepting: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            const header = metadata.get('authorization')[0]
            // Until this settles (a JWT may need the issuer's keys fetched), grpc-js holds
            // back what arrives after the headers; a refused call never passes them on.
            void guard.check(typeof header === 'string' ? header : undefined, 'add').then((decision) => {
              if (decision.ok) {
                nextMetadata(metadata)
                return
              }
              refused = true
              const { code, details } = toGrpcError(decision.error)
              const trailers = new grpc.Metadata()
              if (decision.retryAfterMs !== undefined)
                trailers.set(retryAfterMetadataKey, String(decision.retryAfterMs))
              intercepting.sendStatus({ code, details, metadata: trailers })
            })
          },
          // The handler never started: what the client still sends is dropped.
          onReceiveMessage: (message, nextMessage) => {
            if (!refused) nextMessage(message)
          },
          onReceiveHalfClose: (nextHalfClose) => {
            if (!refused) nextHalfClose()
          },
        })
      },
    })
    return intercepting
  }
}
