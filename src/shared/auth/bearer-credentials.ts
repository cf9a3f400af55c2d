import * as grpc from '@grpc/grpc-js'

// How a client sends an API key (or a JWT): `authorization: Bearer <key>`, on gRPC and on HTTP alike.

/** gRPC call metadata carrying the key, if there is one. */
export function authMetadata(apiKey: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata()
  if (apiKey !== undefined) metadata.set('authorization', `Bearer ${apiKey}`)
  return metadata
}

/** HTTP headers carrying the key, if there is one. */
export function authHeaders(apiKey: string | undefined): Record<string, string> {
  return apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }
}
