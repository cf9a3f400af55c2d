import { execFileSync } from 'node:child_process'
import { chownSync, mkdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

const bin = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'

export interface PgCluster {
  url: string
  postmasterPid: number
  stop: () => void
}

/**
 * A PostgreSQL cluster of the bench's own, from the installed binaries, in a
 * temp dir: its settings are ours (synchronous_commit on, fsync on: the
 * durable defaults), its CPU is all summa's, and the machine's shared server
 * is never touched. initdb refuses to run as root, so as root it runs as the
 * postgres user.
 */
export function startPgCluster(dir: string, port: number): PgCluster {
  const data = path.join(dir, 'pgdata')
  mkdirSync(data, { recursive: true })
  const asRoot = process.getuid?.() === 0
  const run = (command: string, args: string[]): string => {
    if (!asRoot) return execFileSync(path.join(bin, command), args, { encoding: 'utf8' })
    const pgUid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const pgGid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    chownSync(dir, pgUid, pgGid)
    chownSync(data, pgUid, pgGid)
    return execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args], {
      encoding: 'utf8',
    })
  }
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'])
  const settings = [
    `-c port=${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${dir}`,
    '-c synchronous_commit=on',
    '-c fsync=on',
    '-c max_connections=100',
    '-c shared_buffers=256MB',
  ].join(' ')
  run('pg_ctl', ['-D', data, '-w', '-t', '60', '-l', path.join(dir, 'postgres.log'), '-o', settings, 'start'])
  const postmasterPid = Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
  return {
    url: `postgres://postgres@127.0.0.1:${port}/summa`,
    postmasterPid,
    stop: () => {
      run('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop'])
    },
  }
}
