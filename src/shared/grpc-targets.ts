import { isIPv4 } from 'node:net'
import { ErrorCodes, SummaError } from './errors.ts'

/** A grpc-js channel target and the options that go with it. */
export interface GrpcChannelTarget {
  target: string
  options: Record<string, string>
}

/** Spread calls over every address the target resolves to, not the first that answers. */
const roundRobin = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] })

/**
 * Turns `host:port` or `a:port,b:port` into one grpc-js channel that spreads
 * calls over several calculators with the `round_robin` policy: a list of IPv4
 * addresses becomes an `ipv4:` target (grpc-js's static resolver), one name
 * is resolved by DNS, and every address it resolves to is used. A replica that
 * goes away is skipped until it answers again. A list of names cannot be one
 * channel (grpc-js resolves one name per target): put them behind one DNS name.
 */
export function grpcChannelTarget(addresses: string): GrpcChannelTarget {
  const list = addresses
    .split(',')
    .map((address) => address.trim())
    .filter((address) => address !== '')
  if (list.length === 0) throw new SummaError(ErrorCodes.INVALID_CONFIG, 'no gRPC address given')
  if (list.length === 1) return { target: list[0]!, options: { 'grpc.service_config': roundRobin } }
  const hosts = list.map((address) => address.slice(0, address.lastIndexOf(':')))
  if (!hosts.every((host) => isIPv4(host))) {
    throw new SummaError(
      ErrorCodes.INVALID_CONFIG,
      `several gRPC addresses must be IPv4 host:port (one DNS name resolving to every replica works too): ${addresses}`,
    )
  }
  return { target: `ipv4:${list.join(',')}`, options: { 'grpc.service_config': roundRobin } }
}
