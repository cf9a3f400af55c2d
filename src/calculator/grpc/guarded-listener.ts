import { createServer, type Socket } from 'node:net'
import * as grpc from '@grpc/grpc-js'
import type { Logger } from '../../shared/logger.ts'
import { throttledCount } from '../../shared/throttled-count.ts'
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
 */
export async function listenGuarded(options: GuardedListenerOptions): Promise<GuardedListener> {
  const { server, host, port, maxConnections, handshakeTimeoutMs, log } = options
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure())
  const handshaking = new Set<Socket>()
  const refused = throttledCount<'overLimit' | 'noHandshake'>(
    log,
    'gRPC connections closed: over the connection limit, or no HTTP/2 handshake in time',
    { maxConnections, handshakeTimeoutMs },
  )

  const listener = createServer((socket) => {
    handshaking.add(socket)
    let received: Buffer = Buffer.alloc(0)
    const refuse = (): void => {
      refused.add('noHandshake')
      socket.destroy()
    }
    const timer = setTimeout(refuse, handshakeTimeoutMs)
    const done = (): void => {
      clearTimeout(timer)
      handshaking.delete(socket)
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
    socket.on('error', () => {})
    socket.once('close', done)
    socket.on('data', onData)
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
        for (const socket of handshaking) socket.destroy()
        // Resolves once every accepted socket is closed; grpc-js is closing the handed-over ones.
        listener.close(() => resolve())
      })
      return closed
    },
  }
}
