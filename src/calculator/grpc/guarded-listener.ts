import { createServer, type Socket } from 'node:net'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import * as grpc from '@grpc/grpc-js'
import type { Logger } from '../../shared/logger.ts'
import { throttledCount } from '../../shared/throttled-count.ts'
import type { ServerTls } from '../../shared/tls/server-tls.ts'
import { clientPreface, maxClientPrefaceBytes } from './client-preface.ts'

export interface GuardedListenerOptions {
  server: grpc.Server
  host: string
  /** 0 picks a free port. */
  port: number
  /** Open connections, handshaking or not; one more is closed as soon as it is accepted. */
  maxConnections: number
  /** A connection that has not sent the whole HTTP/2 client preface by then is closed. */
  handshakeTimeoutMs: number
  log: Logger
  /** When given, every connection is TLS (ALPN h2), mTLS if it requires client certificates. */
  tls?: ServerTls | undefined
}

export interface GuardedListener {
  port: number
  /**
   * Stops accepting at once and closes connections still handshaking; grpc-js
   * closes the handed-over ones. Resolves when every accepted socket is closed.
   */
  close: () => Promise<void>
}

/**
 * The calculator's listening socket, owned by summa and not by grpc-js.
 *
 * grpc-js creates its http2 server inside `bindAsync`, turns its socket timeout
 * off (`setTimeout(0)`) and exposes neither that server nor its sessions, so a
 * connection that never sends the HTTP/2 preface (or half of it) stays open for
 * as long as the client likes, and nothing caps how many are open. Its public
 * `createConnectionInjector` is the one clean way in: summa accepts the TCP
 * connection here, applies a connection cap (`net.Server.maxConnections`: one
 * over the cap is closed at once, which a gRPC client sees as UNAVAILABLE) and
 * reads the client preface with a deadline; only a connection that sent it is
 * handed to grpc-js, the same socket with the bytes read so far put back, so
 * nothing is proxied or copied after the handshake. Everything after that
 * (keepalive, idle and age limits, streams) is grpc-js's, set by its options.
 *
 * With TLS, summa terminates it here too, before the preface: the TLS socket
 * made over the accepted one gets the context loaded last (so a reloaded
 * certificate applies to the next connection), must negotiate ALPN `h2`, and
 * the handshake deadline covers the TLS handshake and the preface together.
 * grpc-js then gets the TLS socket through an insecure injector: it only
 * speaks HTTP/2 over it. The connection cap counts the TCP connections.
 */
export async function listenGuarded(options: GuardedListenerOptions): Promise<GuardedListener> {
  const { server, host, port, maxConnections, handshakeTimeoutMs, log, tls } = options
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure())
  const handshaking = new Set<Socket>()
  let stopTls = (): void => {}
  const refused = throttledCount<'overLimit' | 'noHandshake' | 'noTls'>(
    log,
    tls === undefined
      ? 'gRPC connections closed: over the connection limit, or no HTTP/2 handshake in time'
      : 'gRPC connections closed: over the connection limit, no TLS and HTTP/2 handshake in time, or a failed TLS handshake (not TLS, no ALPN h2, no valid client certificate)',
    { maxConnections, handshakeTimeoutMs },
  )

  // With TLS: a tls.Server that never listens, given each accepted connection.
  const handshakes = new Map<string, (secure: TLSSocket) => void>()
  const tlsServer =
    tls === undefined
      ? undefined
      : createTlsServer({
          ...tls.contextOptions(),
          ALPNProtocols: ['h2'],
          requestCert: tls.requireClientCert,
          rejectUnauthorized: tls.requireClientCert,
          handshakeTimeout: handshakeTimeoutMs,
        })
  if (tlsServer !== undefined && tls !== undefined) {
    stopTls = tls.onReload(() => tlsServer.setSecureContext(tls.contextOptions()))
    // Not TLS, no shared ALPN protocol, no valid client certificate: Node closes the socket.
    tlsServer.on('tlsClientError', () => refused.add('noTls'))
    tlsServer.on('secureConnection', (secure: TLSSocket) => {
      const peer = peerOf(secure)
      const handOver = handshakes.get(peer)
      handshakes.delete(peer)
      if (handOver === undefined) secure.destroy()
      else handOver(secure)
    })
  }

  const listener = createServer((tcp) => {
    // The socket HTTP/2 is read from: the TCP one, or the TLS one made over it.
    let socket: Socket = tcp
    handshaking.add(tcp)
    let received: Buffer = Buffer.alloc(0)
    const refuse = (reason: 'noHandshake' | 'noTls' = 'noHandshake'): void => {
      refused.add(reason)
      socket.destroy()
      tcp.destroy()
    }
    const timer = setTimeout(refuse, handshakeTimeoutMs)
    const done = (): void => {
      clearTimeout(timer)
      handshaking.delete(tcp)
      socket.off('data', onData)
    }
    const onData = (chunk: Buffer): void => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk])
      const state = clientPreface(received.subarray(0, maxClientPrefaceBytes))
      if (state === 'incomplete') return
      done()
      if (state === 'invalid') {
        refuse()
        return
      }
      socket.pause()
      socket.unshift(received)
      injector.injectConnection(socket)
    }
    // Resets and the like before the hand-over are the client's business; after
    // it, grpc-js's session handles them. Without a listener they would crash us.
    tcp.on('error', () => {})
    tcp.once('close', done)
    if (tlsServer === undefined) {
      socket.on('data', onData)
      return
    }
    // The TLS server makes the TLS socket over this one and verifies a client
    // certificate; its secureConnection event hands it back, matched by peer address.
    const peer = peerOf(tcp)
    handshakes.set(peer, (secure) => {
      socket = secure
      // Before the hand-over an error is the client's business; after it, grpc-js's session sees it.
      secure.on('error', () => {})
      // A client that offered no ALPN at all gets here; gRPC needs h2 to have been agreed.
      if (secure.alpnProtocol !== 'h2') {
        refuse('noTls')
        return
      }
      secure.on('data', onData)
    })
    tcp.once('close', () => handshakes.delete(peer))
    tlsServer.emit('connection', tcp)
  })
  listener.maxConnections = maxConnections
  listener.on('drop', () => refused.add('overLimit'))

  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error): void => {
      refused.stop()
      reject(error)
    }
    listener.once('error', fail)
    listener.listen(port, host, () => {
      listener.off('error', fail)
      resolve()
    })
  })
  const address = listener.address()
  let closed: Promise<void> | undefined
  return {
    port: typeof address === 'object' && address !== null ? address.port : port,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        refused.stop()
        stopTls()
        for (const tcp of handshaking) tcp.destroy()
        // Resolves once every accepted socket is closed; grpc-js is closing the handed-over ones.
        listener.close(() => resolve())
      })
      return closed
    },
  }
}

/** A connection's peer, the same on the TCP socket and the TLS socket over it: unique among one listener's connections. */
function peerOf(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`
}
