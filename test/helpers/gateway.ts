import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chown, copyFile, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { defer } from './cleanup.ts'
import { eventually } from './eventually.ts'
import { freePort } from './ports.ts'
import { killGroup } from './processes.ts'

const nginxDir = fileURLToPath(new URL('../../deploy/nginx/', import.meta.url))
// Debian installs nginx in /usr/sbin, which is not on a normal user's PATH.
const nginxBinary = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx'
// The user an unprivileged container runs as: the gateway must run as any user.
const nobody = 65534

export interface GatewayOptions {
  /** gRPC ports of the calculators on 127.0.0.1. */
  calculators: number[]
  /** HTTP ports of the aggregators on 127.0.0.1. */
  aggregators: number[]
  /** Enables deploy/nginx/tls.conf with this certificate and key. */
  tls?: { certFile: string; keyFile: string }
}

export interface Gateway {
  grpcPort: number
  httpPort: number
  /** Set when `tls` was given. */
  tlsPort: number | undefined
  child: ChildProcess
  /** The access log so far: nginx's stdout, one JSON object a line. */
  accessLog: () => Promise<string>
  /** nginx's error log so far (stderr). */
  errorLog: () => Promise<string>
}

/**
 * Runs Debian's nginx with deploy/nginx/nginx.conf as summa's gateway in front
 * of the given replicas, as its own process (not the system service), stopped
 * when the test ends.
 *
 * The committed files are used as they are, except for what only a shared test
 * machine needs: their two roots (/etc/nginx/ for configuration, /tmp/ for
 * what nginx writes) move into a temp dir, and the listeners move from
 * 9090/8080/8443 on every interface to free ports on 127.0.0.1. upstreams.conf
 * is deploy/nginx/upstreams.example.conf with its server lines pointing at the
 * replicas. When the test runs as root, nginx runs as nobody, as in an
 * unprivileged container.
 */
export async function startGateway(t: Pick<TestContext, 'after'>, options: GatewayOptions): Promise<Gateway> {
  const root = await mkdtemp(path.join(tmpdir(), 'summa-gateway-'))
  defer(t, () => rm(root, { recursive: true, force: true }))
  const ports = new Map([
    ['9090', await freePort()],
    ['8080', await freePort()],
    ['8443', await freePort()],
  ])
  const render = (text: string) => {
    const rendered = text.replace(
      /\/etc\/nginx\/|\/tmp\/|listen (9090|8080|8443)\b/g,
      (match, port?: string) => {
        if (port !== undefined) return `listen 127.0.0.1:${ports.get(port)}`
        return match === '/tmp/' ? `${root}/run/` : `${root}/etc/`
      },
    )
    // A listener written another way would bind a shared machine's public interfaces.
    const other = /^\s*listen (?!127\.0\.0\.1:).*$/m.exec(rendered)
    if (other !== null) throw new Error(`a listener the test cannot move: ${other[0].trim()}`)
    return rendered
  }
  const conf = path.join(root, 'etc')
  await mkdir(path.join(conf, 'summa/conf.d'), { recursive: true })
  await mkdir(path.join(root, 'run'))
  await writeFile(
    path.join(conf, 'nginx.conf'),
    render(await readFile(path.join(nginxDir, 'nginx.conf'), 'utf8')),
  )
  const example = await readFile(path.join(nginxDir, 'upstreams.example.conf'), 'utf8')
  await writeFile(
    path.join(conf, 'summa/conf.d/upstreams.conf'),
    withServers(example, { calculator: options.calculators, aggregator: options.aggregators }),
  )
  if (options.tls !== undefined) {
    await writeFile(
      path.join(conf, 'summa/conf.d/tls.conf'),
      render(await readFile(path.join(nginxDir, 'tls.conf'), 'utf8')),
    )
    await mkdir(path.join(conf, 'summa/tls'))
    await copyFile(options.tls.certFile, path.join(conf, 'summa/tls/tls.crt'))
    await copyFile(options.tls.keyFile, path.join(conf, 'summa/tls/tls.key'))
  }
  // stdout and stderr are files: nginx opens /dev/stdout by name, which fails on
  // the socket Node would give it as a pipe.
  const stdoutFile = path.join(root, 'access.log')
  const stderrFile = path.join(root, 'error.log')
  const [stdout, stderr] = [await open(stdoutFile, 'a'), await open(stderrFile, 'a')]
  const asRoot = process.getuid?.() === 0
  if (asRoot) await chownTree(root, nobody)
  const child = spawn(
    nginxBinary,
    ['-e', 'stderr', '-p', `${root}/run/`, '-c', path.join(conf, 'nginx.conf'), '-g', 'daemon off;'],
    {
      stdio: ['ignore', stdout.fd, stderr.fd],
      detached: true,
      ...(asRoot ? { uid: nobody, gid: nobody } : {}),
    },
  )
  await stdout.close()
  await stderr.close()
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  defer(t, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    // SIGQUIT: graceful stop (open connections finish); SIGKILL if it hangs.
    killGroup(child, 'SIGQUIT')
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  })
  const errorLog = () => readFile(stderrFile, 'utf8')
  const httpPort = ports.get('8080')!
  await Promise.race([
    eventually(async () => {
      const response = await fetch(`http://127.0.0.1:${httpPort}/nginx-health`)
      if (response.status !== 200) throw new Error(`nginx health: ${response.status}`)
    }, 15_000),
    exited.then(async (code) => {
      throw new Error(`nginx exited with ${code}: ${await errorLog()}`)
    }),
  ])
  return {
    grpcPort: ports.get('9090')!,
    httpPort,
    tlsPort: options.tls === undefined ? undefined : ports.get('8443')!,
    child,
    accessLog: () => readFile(stdoutFile, 'utf8'),
    errorLog,
  }
}

/**
 * The example's `server calculator-N:9090 …;` and `server aggregator-N:8080 …;`
 * lines replaced by one line per given port, with the same parameters.
 */
export function withServers(example: string, ports: Record<'calculator' | 'aggregator', number[]>): string {
  const written = new Set<string>()
  const lines: string[] = []
  for (const line of example.split('\n')) {
    const server = /^(\s*)server (calculator|aggregator)-\d+:\d+(.*);$/.exec(line)
    if (server === null) {
      lines.push(line)
      continue
    }
    const [, indent, kind, parameters] = server as unknown as [
      string,
      string,
      'calculator' | 'aggregator',
      string,
    ]
    if (written.has(kind)) continue
    written.add(kind)
    for (const port of ports[kind]) lines.push(`${indent}server 127.0.0.1:${port}${parameters};`)
  }
  if (written.size !== 2) throw new Error('upstreams.example.conf: no calculator or aggregator server line')
  return lines.join('\n')
}

async function chownTree(dir: string, id: number): Promise<void> {
  await chown(dir, id, id)
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    await chown(path.join(entry.parentPath, entry.name), id, id)
}

/** One line of the gateway's access log (log_format summa_json in nginx.conf). */
export interface AccessLogEntry {
  uri: string
  port: string
  status: number
  grpc_status: string
  upstream_addr: string
}

/** nginx's access log, parsed: every complete line must be one JSON object. */
export async function accessLogOf(gateway: Gateway): Promise<AccessLogEntry[]> {
  const text = await gateway.accessLog()
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AccessLogEntry)
}
