import { X509Certificate } from 'node:crypto'
import { type FSWatcher, watch } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls'
import { ErrorCodes, SummaError } from '../errors.ts'
import type { Logger } from '../logger.ts'

export interface ServerTlsFiles {
  certFile: string
  keyFile: string
  /** When given, a client must present a certificate this CA (bundle) signed. */
  clientCaFile?: string | undefined
}

/** What a server needs for the handshake of a new connection; each reload replaces `context`. */
export interface ServerTls {
  /** The context of the pair last loaded successfully. */
  context: () => SecureContext
  /** The same pair as options, for servers that take options (https.Server#setSecureContext). */
  contextOptions: () => SecureContextOptions
  /** Whether a client certificate is required (mTLS). */
  requireClientCert: boolean
  /** Called after each successful reload; returns the unsubscribe. */
  onReload: (listener: () => void) => () => void
  /** What the certificate in use says about itself, for logs and tests: never key material. */
  describe: () => CertificateSummary
  close: () => void
}

export interface CertificateSummary {
  subject: string
  serialNumber: string
  validTo: string
  fingerprint256: string
}

export interface WatchServerTlsOptions extends ServerTlsFiles {
  log: Logger
  /** The fallback for file systems where fs.watch misses changes (network mounts, some containers). */
  pollIntervalMs?: number
  /** Writers replace the certificate and the key one after the other: wait for both. */
  debounceMs?: number
}

interface Loaded {
  options: SecureContextOptions
  context: SecureContext
  summary: CertificateSummary
  /** The files' bytes, to skip a reload that would change nothing. */
  fingerprint: string
}

async function load(files: ServerTlsFiles): Promise<Loaded> {
  const [cert, key, ca] = await Promise.all([
    readFile(files.certFile),
    readFile(files.keyFile),
    files.clientCaFile === undefined ? undefined : readFile(files.clientCaFile),
  ])
  const options: SecureContextOptions = { cert, key, ...(ca === undefined ? {} : { ca }) }
  // Throws when the key does not match the certificate, or either does not parse.
  const context = createSecureContext(options)
  const x509 = new X509Certificate(cert)
  return {
    options,
    context,
    summary: {
      subject: x509.subject.replaceAll('\n', ', '),
      serialNumber: x509.serialNumber,
      validTo: x509.validTo,
      fingerprint256: x509.fingerprint256,
    },
    fingerprint: Buffer.concat([cert, key, ca ?? Buffer.alloc(0)]).toString('base64'),
  }
}

/** Only the reason: an OpenSSL message names the failing check, never the key's bytes. */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code
  const message = error instanceof Error ? error.message : String(error)
  return typeof code === 'string' ? `${code}: ${message}` : message
}

/**
 * Loads the server's certificate, key and (for mTLS) client CA, and reloads
 * them when the files change, without a restart: new connections get the new
 * pair, open ones keep theirs. fs.watch on the directories (a rename into
 * place, as Kubernetes and certbot do, is a change of the directory) plus a
 * periodic check, debounced so a certificate and key written one after the
 * other load as one change. A pair that does not load (unreadable, not PEM,
 * key not matching) is refused with a log line and the previous one stays.
 * A failure at start is an error: summa does not start without its certificate.
 */
export async function watchServerTls(options: WatchServerTlsOptions): Promise<ServerTls> {
  const { log, pollIntervalMs = 5000, debounceMs = 200, ...files } = options
  let current: Loaded
  try {
    current = await load(files)
  } catch (error) {
    throw new SummaError(
      ErrorCodes.INVALID_CONFIG,
      `cannot load the TLS certificate and key (SUMMA_TLS_CERT_FILE, SUMMA_TLS_KEY_FILE, SUMMA_TLS_CLIENT_CA_FILE): ${reasonOf(error)}`,
      { field: 'SUMMA_TLS_CERT_FILE' },
    )
  }
  log.info({ certificate: current.summary, mtls: files.clientCaFile !== undefined }, 'TLS on')

  const listeners = new Set<() => void>()
  let timer: NodeJS.Timeout | undefined
  let reloading = false
  let again = false
  const reload = async (): Promise<void> => {
    if (reloading) {
      again = true
      return
    }
    reloading = true
    try {
      const next = await load(files)
      if (next.fingerprint !== current.fingerprint) {
        current = next
        log.info({ certificate: next.summary }, 'TLS certificate reloaded')
        for (const listener of listeners) listener()
      }
    } catch (error) {
      log.warn(
        { reason: reasonOf(error), certificate: current.summary },
        'TLS certificate change refused: the new files do not load; keeping the previous certificate',
      )
    } finally {
      reloading = false
      if (again) {
        again = false
        schedule()
      }
    }
  }
  const schedule = (): void => {
    clearTimeout(timer)
    timer = setTimeout(() => void reload(), debounceMs)
  }

  const paths = [files.certFile, files.keyFile, files.clientCaFile].filter((file) => file !== undefined)
  const names = new Set(paths.map((file) => path.basename(file)))
  const watchers: FSWatcher[] = []
  for (const dir of new Set(paths.map((file) => path.dirname(file)))) {
    try {
      const watcher = watch(dir, { persistent: false }, (_event, name) => {
        // A null name (some platforms) or `..data` (a Kubernetes secret's symlink swap): check anyway.
        if (name === null || names.has(String(name)) || String(name).startsWith('..')) schedule()
      })
      watcher.on('error', () => {}) // the periodic check still covers the files
      watchers.push(watcher)
    } catch {
      // No watch on this file system: the periodic check is enough.
    }
  }
  const poll = setInterval(() => void reload(), pollIntervalMs)
  poll.unref()

  return {
    context: () => current.context,
    contextOptions: () => current.options,
    requireClientCert: files.clientCaFile !== undefined,
    onReload: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    describe: () => current.summary,
    close: () => {
      clearTimeout(timer)
      clearInterval(poll)
      for (const watcher of watchers) watcher.close()
      listeners.clear()
    },
  }
}
