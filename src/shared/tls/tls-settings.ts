import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import type { Config } from '../config.ts'
import type { Lifecycle } from '../lifecycle.ts'
import type { Logger } from '../logger.ts'
import { type ServerTls, watchServerTls } from './server-tls.ts'

/**
 * The service's own TLS (gRPC and HTTP ports), watched for changes until the
 * service stops; undefined when SUMMA_TLS_CERT_FILE is not set.
 */
export async function serverTlsOf(
  config: Pick<Config, 'SUMMA_TLS_CERT_FILE' | 'SUMMA_TLS_KEY_FILE' | 'SUMMA_TLS_CLIENT_CA_FILE'>,
  log: Logger,
  lifecycle: Pick<Lifecycle, 'defer'>,
): Promise<ServerTls | undefined> {
  if (config.SUMMA_TLS_CERT_FILE === undefined || config.SUMMA_TLS_KEY_FILE === undefined) return undefined
  const tls = await watchServerTls({
    certFile: config.SUMMA_TLS_CERT_FILE,
    keyFile: config.SUMMA_TLS_KEY_FILE,
    clientCaFile: config.SUMMA_TLS_CLIENT_CA_FILE,
    log,
  })
  lifecycle.defer('tls-watch', () => tls.close())
  return tls
}

/** CA, certificate and key to trust and present, as node:tls options (only those given). */
export interface ClientTlsFiles {
  ca?: Buffer
  cert?: Buffer
  key?: Buffer
}

function readFiles(ca?: string, cert?: string, key?: string): ClientTlsFiles {
  return {
    ...(ca === undefined ? {} : { ca: readFileSync(ca) }),
    ...(cert === undefined ? {} : { cert: readFileSync(cert) }),
    ...(key === undefined ? {} : { key: readFileSync(key) }),
  }
}

/**
 * What summa's own clients (the CLI, summa load, summa up's health probes) use
 * to reach summa's ports: TLS when the ports are TLS (SUMMA_TLS_CERT_FILE, as
 * a client on the same host shares the services' settings) or when a CA to
 * trust is given (SUMMA_TLS_CA_FILE; without it, the system's CAs); undefined
 * for plaintext.
 */
export function clientTlsOf(
  config: Pick<
    Config,
    'SUMMA_TLS_CERT_FILE' | 'SUMMA_TLS_CA_FILE' | 'SUMMA_TLS_CLIENT_CERT_FILE' | 'SUMMA_TLS_CLIENT_KEY_FILE'
  >,
): ClientTlsFiles | undefined {
  if (config.SUMMA_TLS_CERT_FILE === undefined && config.SUMMA_TLS_CA_FILE === undefined) return undefined
  return readFiles(
    config.SUMMA_TLS_CA_FILE,
    config.SUMMA_TLS_CLIENT_CERT_FILE,
    config.SUMMA_TLS_CLIENT_KEY_FILE,
  )
}

/**
 * The Kafka clients' `tls` connection option: undefined (plaintext) unless
 * KAFKA_TLS is true or a KAFKA_TLS_* file is given. The broker's certificate is
 * checked against KAFKA_TLS_CA_FILE (or the system's CAs) and its host name.
 */
export function kafkaTlsOf(
  config: Pick<Config, 'KAFKA_TLS' | 'KAFKA_TLS_CA_FILE' | 'KAFKA_TLS_CERT_FILE' | 'KAFKA_TLS_KEY_FILE'>,
): ConnectionOptions | undefined {
  const files = [config.KAFKA_TLS_CA_FILE, config.KAFKA_TLS_CERT_FILE, config.KAFKA_TLS_KEY_FILE]
  if (!config.KAFKA_TLS && files.every((file) => file === undefined)) return undefined
  return { ...readFiles(...files), rejectUnauthorized: true }
}
