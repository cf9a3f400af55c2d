import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { defer } from '../helpers/cleanup.ts'
import { eventually } from '../helpers/eventually.ts'
import { createTestSystem, startTestPipeline } from '../helpers/system.ts'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))
const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string }
// npm, npx and the installed CLI run on the pinned Node.js, found on PATH as a
// user's own would be: the installed package has no node_modules/node.
const pinnedNodeDir = path.join(root, 'node_modules/node/bin')
const pathWithNode = `${pinnedNodeDir}${path.delimiter}${process.env.PATH}`

// What the tarball may hold: the runtime, nothing of the tests, sources or tools.
const allowed = [
  /^package\/(package\.json|README\.md|LICENSE|bin\/summa)$/,
  /^package\/dist\/.+\.(js|html|css|svg|json)$/,
  /^package\/proto\/.+\.proto$/,
  /^package\/sql\/migrations\/\d{6}_[a-z_]+\.sql$/,
  // The patched PostgreSQL driver travels with the package (bundleDependencies; docs/DEPENDENCIES.md).
  /^package\/node_modules\/postgres\//,
]

describe('the packed CLI', () => {
  it('installs from npm pack into an empty directory and runs add and total against a running system', async (t) => {
    const work = await mkdtemp(path.join(tmpdir(), 'summa-pack-'))
    defer(t, () => rm(work, { recursive: true, force: true }))
    const env = { ...process.env, PATH: pathWithNode, npm_config_update_notifier: 'false' }

    // prepack builds dist/ (a no-op when it is current).
    const packed = await run('npm', ['pack', '--pack-destination', work, '--loglevel=error'], {
      cwd: root,
      env,
    })
    const tarball = path.join(work, packed.stdout.trim().split('\n').at(-1)!)
    assert.equal(path.basename(tarball), `summa-${version}.tgz`)

    const entries = (await run('tar', ['-tzf', tarball])).stdout.trim().split('\n')
    const unexpected = entries.filter((entry) => !allowed.some((pattern) => pattern.test(entry)))
    assert.deepEqual(unexpected, [], 'only runtime files are packed')
    assert.ok(entries.includes('package/dist/bin/summa.js'))
    const ours = entries.filter((entry) => !entry.startsWith('package/node_modules/'))
    assert.ok(!ours.some((entry) => /\.spec\.|\.map$|\.ts$|\/test\/|\/src\//.test(entry)))

    const app = path.join(work, 'app')
    await mkdir(app)
    await writeFile(path.join(app, 'package.json'), '{ "name": "app", "private": true }\n')
    await run(
      'npm',
      [
        'install',
        `./${path.relative(app, tarball)}`,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
      ],
      { cwd: app, env, timeout: 150_000 },
    )
    // Run-time dependencies only: no pinned Node.js, compiler or test tools came along.
    const installed = await readdir(path.join(app, 'node_modules'))
    for (const dev of ['node', 'typescript', '@biomejs', 'playwright-core', '@bufbuild', 'patch-package']) {
      assert.ok(!installed.includes(dev), `${dev} is not installed`)
    }
    // The services in the package run on the patched driver, not on the registry's copy.
    const driver = await readFile(
      path.join(app, 'node_modules/summa/node_modules/postgres/src/connection.js'),
      'utf8',
    )
    assert.match(driver, /summa:/, 'the bundled postgres.js carries the patch')

    const npx = (args: string[], extra: Record<string, string> = {}) =>
      run('npx', ['summa', ...args], { cwd: app, env: { ...env, ...extra }, timeout: 60_000 })
    assert.equal((await npx(['--version'])).stdout.trim(), version)

    const system = await createTestSystem(t)
    const { calculator, aggregator } = await startTestPipeline(t, system.config)
    const ports = {
      SUMMA_HOST: '127.0.0.1',
      SUMMA_GRPC_PORT: String(calculator.running.grpcPort),
      SUMMA_HTTP_PORT: String(aggregator.running.httpPort),
    }
    const added = JSON.parse((await npx(['add', '1', '2'], ports)).stdout) as {
      sum: string
      replayed: boolean
    }
    assert.equal(added.sum, '3')
    assert.equal(added.replayed, false)
    await eventually(async () => {
      const total = JSON.parse((await npx(['total'], ports)).stdout) as { total: string }
      assert.equal(total.total, '3')
    }, 30_000)
  })

  it('bin/summa refuses a node on PATH that does not satisfy engines, saying which it needs', async (t) => {
    // The installed layout: no src/ and no node_modules/node beside bin/summa.
    const pkg = await mkdtemp(path.join(tmpdir(), 'summa-engines-'))
    defer(t, () => rm(pkg, { recursive: true, force: true }))
    await mkdir(path.join(pkg, 'bin'))
    await mkdir(path.join(pkg, 'dist/bin'), { recursive: true })
    await run('cp', [path.join(root, 'bin/summa'), path.join(pkg, 'bin/summa')])
    await run('cp', [path.join(root, 'package.json'), path.join(pkg, 'package.json')])
    await writeFile(path.join(pkg, 'dist/bin/summa.js'), "console.log('ran on', process.version)\n")
    const oldNode = path.join(pkg, 'old-node')
    await mkdir(oldNode)
    await writeFile(path.join(oldNode, 'node'), '#!/bin/sh\necho v20.19.0\n')
    await chmod(path.join(oldNode, 'node'), 0o755)

    const refused = await run(path.join(pkg, 'bin/summa'), ['--version'], {
      env: { ...process.env, PATH: `${oldNode}${path.delimiter}${process.env.PATH}` },
    }).then(
      () => assert.fail('an old Node.js must be refused'),
      (error: { code: number; stderr: string }) => error,
    )
    assert.equal(refused.code, 1)
    assert.match(
      refused.stderr,
      /needs Node\.js >=24\.6\.0 <25 \(package\.json engines\); .*old-node\/node is 20\.19\.0/,
    )

    const accepted = await run(path.join(pkg, 'bin/summa'), [], {
      env: { ...process.env, PATH: pathWithNode },
    })
    assert.equal(accepted.stdout.trim(), `ran on v${await nodeVersion()}`)
  })
})

async function nodeVersion(): Promise<string> {
  return (await run(path.join(pinnedNodeDir, 'node'), ['-p', 'process.versions.node'])).stdout.trim()
}
