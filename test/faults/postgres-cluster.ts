import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { DatabaseTlsFiles } from '../../src/shared/tls/database-tls.ts'
import {
  createTestCertificates,
  issueCertificate,
  type TestCertificates,
} from '../helpers/tls-certificates.ts'

const bin = process.env.SUMMA_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin'

/**
 * A PostgreSQL cluster of the test's own, from Debian's binaries in a temp dir
 * on its own port, so a test may stop or kill it. The machine's shared server
 * is never touched. PostgreSQL refuses to run as root, so when the tests run as
 * root the cluster runs as the `postgres` system user.
 */
export class PostgresCluster {
  readonly port: number
  readonly dir: string
  readonly #user: { uid: number; gid: number } | undefined
  #settings: string[] = []

  constructor(port: number) {
    this.port = port
    this.dir = mkdtempSync(path.join(tmpdir(), 'summa-faults-pg-'))
    this.#user =
      process.getuid?.() === 0
        ? {
            uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
            gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
          }
        : undefined
    if (this.#user !== undefined) chownSync(this.dir, this.#user.uid, this.#user.gid)
  }

  /** More server settings from the next start on, `name=value` each (passed as `-c`). */
  configure(settings: string[]): void {
    this.#settings = settings
  }

  /** Makes `file` the server's to read (PostgreSQL refuses a key file others can read). */
  own(file: string, mode = 0o600): void {
    chmodSync(file, mode)
    if (this.#user !== undefined) chownSync(file, this.#user.uid, this.#user.gid)
  }

  /**
   * From the next start on, TLS connections only, each authenticated by a client certificate a
   * throwaway CA signed for the user (`cert` in pg_hba.conf). The CA and the server's certificate
   * are made in the cluster's directory, which its server user can read; returns them, and the
   * files a client presents (`client`, for the user postgres).
   */
  async requireClientCertificates(): Promise<{
    certs: TestCertificates
    client: Required<DatabaseTlsFiles>
  }> {
    const certs = await createTestCertificates(this.dir)
    this.own(certs.keyFile)
    const caFile = path.join(this.dir, 'ca.crt')
    const hbaFile = path.join(this.dir, 'hba.conf')
    await writeFile(
      hbaFile,
      [
        'local all all trust',
        'hostssl all all 127.0.0.1/32 cert',
        'hostnossl all all 127.0.0.1/32 reject',
        '',
      ].join('\n'),
    )
    this.own(hbaFile)
    this.configure([
      'ssl=on',
      `ssl_cert_file=${certs.certFile}`,
      `ssl_key_file=${certs.keyFile}`,
      `ssl_ca_file=${caFile}`,
      `hba_file=${hbaFile}`,
    ])
    const client = await issueCertificate(this.dir, 'database-client', 'client', 'postgres')
    return { certs, client: { caFile, certFile: client.certFile, keyFile: client.keyFile } }
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/summa`
  }

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`
  }

  async init(): Promise<void> {
    await this.#run('initdb', ['-D', this.#data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'])
    await this.start()
  }

  start(): Promise<void> {
    return this.#run('pg_ctl', [
      '-D',
      this.#data,
      '-l',
      path.join(this.dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=100 -c shared_buffers=64MB${this.#settings.map((setting) => ` -c ${setting}`).join('')}`,
      'start',
    ])
  }

  /** Stops the server; `immediate` is a crash (no checkpoint, recovery at next start). */
  stop(mode: 'fast' | 'immediate'): Promise<void> {
    return this.#run('pg_ctl', ['-D', this.#data, '-m', mode, '-w', 'stop'])
  }

  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => {})
    rmSync(this.dir, { recursive: true, force: true })
  }

  get #data(): string {
    return path.join(this.dir, 'data')
  }

  #run(tool: string, args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(path.join(bin, tool), args, {
        stdio: ['ignore', 'ignore', 'pipe'],
        cwd: this.dir,
        ...(this.#user ?? {}),
      })
      let stderr = ''
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
      })
      child.once('error', reject)
      child.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`${tool} ${args.at(-1)} exited ${code}: ${stderr}`)),
      )
    })
  }
}
