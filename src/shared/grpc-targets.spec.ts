import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { grpcChannelTarget } from './grpc-targets.ts'

describe('grpcChannelTarget', () => {
  it('keeps one address as it is, with round robin over what it resolves to', () => {
    const { target, options } = grpcChannelTarget('calculators.summa:9090')
    assert.equal(target, 'calculators.summa:9090')
    assert.deepEqual(JSON.parse(options['grpc.service_config']!), {
      loadBalancingConfig: [{ round_robin: {} }],
    })
  })

  it('makes a list of IPv4 addresses one ipv4: target', () => {
    assert.equal(
      grpcChannelTarget('127.0.0.1:9090, 127.0.0.1:9190').target,
      'ipv4:127.0.0.1:9090,127.0.0.1:9190',
    )
  })

  it('refuses a list of names, which grpc-js cannot resolve as one target', () => {
    assert.throws(() => grpcChannelTarget('a:9090,b:9090'), /IPv4/)
    assert.throws(() => grpcChannelTarget(' , '), /no gRPC address/)
  })
})
