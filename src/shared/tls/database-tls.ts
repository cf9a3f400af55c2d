import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import type { Config } from '../config.ts'
import { ErrorCodes, SummaError } from '../errors.ts'

/** Files for PostgreSQL's TLS: libpq's sslrootcert, sslcert and sslkey. */
export interface DatabaseTlsFiles {
  caFile?: string | undefined
  certFile?: string | undefined
  keyFile?: string | undefined
}

/** postgres.js's `ssl` option: false, its own 'prefer' (TLS if offered, unverified), or node:tls options. */
export type PostgresSsl = false | 'prefer' | ConnectionOptions

export interface DatabaseConnection {
  /** The URL without the libpq TLS parameters, which postgres.js would send the server as settings. */
  url: string
  ssl: PostgresSsl
}

const sslModes = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const
type SslMode = (typeof sslModes)[number]
const libpqTlsParameters = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey']

export function databaseTlsOf(
  config: Pick<Config, 'SUMMA_DATABASE_CA_FILE' | 'SUMMA_DATABASE_CERT_FILE' | 'SUMMA_DATABASE_KEY_FILE'>,
): DatabaseTlsFiles {
  return {
    caFile: config.SUMMA_DATABASE_CA_FILE,
    certFile: config.SUMMA_DATABASE_CERT_FILE,
    keyFile: config.SUMMA_DATABASE_KEY_FILE,
  }
}

/**
 * DATABASE_URL's `sslmode` (libpq's meaning) and the CA/certificate/key files
 * as postgres.js options. postgres.js reads `sslmode` itself but treats
 * verify-ca like verify-full, takes no CA file, and sends any other URL
 * parameter (sslrootcert…) to the server as a setting, which fails; so summa
 * maps them here. The files come from the SUMMA_DATABASE_* settings or, as
 * with libpq, from the URL's sslrootcert / sslcert / sslkey.
 *
 * - no sslmode: `disable` as before, or `verify-full` when a CA file is given
 * - disable: plaintext; allow and prefer: TLS if the server offers it, unverified
 * - require: TLS, unverified (verify-ca when a CA file is given, as libpq does)
 * - verify-ca: the server's certificate must chain to the CA; its name is not checked
 * - verify-full: as verify-ca, and it must name the host connected to
 * The client certificate and key are presented whenever TLS is on.
 */
export function databaseConnection(url: string, files: DatabaseTlsFiles = {}): DatabaseConnection {
  const parsed = new URL(url)
  const parameter = (name: string) => parsed.searchParams.get(name) ?? undefined
  const mode = parameter('sslmode')
  if (mode !== undefined && !(sslModes as readonly string[]).includes(mode)) {
    throw new SummaError(
      ErrorCodes.INVALID_CONFIG,
      `invalid configuration: DATABASE_URL's sslmode=${mode} is not one of ${sslModes.join(', ')}`,
      { field: 'DATABASE_URL' },
    )
  }
  const rootCert = files.caFile ?? parameter('sslrootcert')
  // libpq's sslrootcert=system: the system's CAs, and verify-full.
  const caFile = rootCert === 'system' ? undefined : rootCert
  const certFile = files.certFile ?? parameter('sslcert')
  const keyFile = files.keyFile ?? parameter('sslkey')
  for (const name of libpqTlsParameters) parsed.searchParams.delete(name)

  const effective: SslMode =
    rootCert === 'system'
      ? 'verify-full'
      : ((mode as SslMode | undefined) ?? (caFile === undefined ? 'disable' : 'verify-full'))
  const plain = parsed.toString()
  if (effective === 'disable') return { url: plain, ssl: false }
  if (effective === 'allow' || effective === 'prefer') return { url: plain, ssl: 'prefer' }
  const presented = {
    ...(certFile === undefined ? {} : { cert: readFileSync(certFile) }),
    ...(keyFile === undefined ? {} : { key: readFileSync(keyFile) }),
  }
  if (effective === 'require' && caFile === undefined)
    return { url: plain, ssl: { ...presented, rejectUnauthorized: false } }
  const verified: ConnectionOptions = {
    ...presented,
    ...(caFile === undefined ? {} : { ca: readFileSync(caFile) }),
    rejectUnauthorized: true,
  }
  // verify-ca (and require with a CA): the chain is checked, the name is not.
  if (effective !== 'verify-full') verified.checkServerIdentity = () => undefined
  return { url: plain, ssl: verified }
}
