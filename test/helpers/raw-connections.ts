import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import type { TestContext } from 'node:test'
import { defer } from './cleanup.ts'

/** The HTTP/2 client preface: the magic string and an empty SETTINGS frame. */
export const http2Magic = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')
export const emptySettingsFrame = Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0])
export const http2Preface = Buffer.concat([http2Magic, emptySettingsFrame])

export interface RawConnection {
  socket: Socket
  openedAt: number
  /** Set when the server accepted the TCP connection. */
  connectedAt?: number
  /** Set when the socket closed, whoever closed it. */
  closedAt?: number
  /** Bytes the server sent. */
  received: number
}

/**
 * Opens a TCP connection to 127.0.0.1:`port`, sends `bytes` (nothing when
 * empty) and then stays silent, recording when the server closes it. Destroyed
 * when the test ends.
 */
export function rawConnection(t: Pick<TestContext, 'after'>, port: number, bytes: Buffer): RawConnection {
  const socket = connect(port, '127.0.0.1')
  const connection: RawConnection = { socket, openedAt: Date.now(), received: 0 }
  socket.on('connect', () => {
    connection.connectedAt = Date.now()
    if (bytes.length > 0) socket.write(bytes)
  })
  socket.on('data', (chunk: Buffer) => {
    connection.received += chunk.length
  })
  socket.on('error', () => {})
  socket.once('close', () => {
    connection.closedAt = Date.now()
  })
  defer(t, () => socket.destroy())
  return connection
}

/** Resolves when every connection is closed, or after `timeoutMs` (then the open ones are still open). */
export async function waitClosed(connections: RawConnection[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (connections.some((c) => c.closedAt === undefined) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** How long the longest-lived connection stayed open after it connected (ms); Infinity if one is still open. */
export function longestLife(connections: RawConnection[]): number {
  return Math.max(
    ...connections.map((c) =>
      c.closedAt === undefined ? Number.POSITIVE_INFINITY : c.closedAt - (c.connectedAt ?? c.openedAt),
    ),
  )
}

export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(match?.[1] ?? 0) / 1024
}

/** Open file descriptors of a process that are sockets. */
export function socketCount(pid: number): number {
  let count = 0
  for (const fd of readdirSafe(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) count++
    } catch {
      // closed while we looked
    }
  }
  return count
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path)
  } catch {
    return []
  }
}
