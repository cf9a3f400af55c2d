import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { healthCommand } from './health-command.ts'

async function listen(status: number, delayMs = 0): Promise<{ server: Server; url: string }> {
  const server = createServer((_request, response) => {
    setTimeout(
      () => response.writeHead(status).end(JSON.stringify({ status: status < 300 ? 'pass' : 'fail' })),
      delayMs,
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { server, url: `http://127.0.0.1:${port}/health` }
}

function capture() {
  const errors: string[] = []
  return { io: { out: () => {}, err: (line: string) => errors.push(line) }, errors }
}

test('health exits 0 on a 2xx answer', async (t) => {
  const { server, url } = await listen(200)
  t.after(() => server.close())
  const { io, errors } = capture()
  assert.equal(await healthCommand(url, 2000, io), 0)
  assert.deepEqual(errors, [])
})

test('health exits 1 and says why on a 503', async (t) => {
  const { server, url } = await listen(503)
  t.after(() => server.close())
  const { io, errors } = capture()
  assert.equal(await healthCommand(url, 2000, io), 1)
  assert.match(errors[0] ?? '', /answered 503/)
})

test('health exits 1 when nothing listens or the answer is late', async (t) => {
  const { server, url } = await listen(200, 1000)
  t.after(() => server.close())
  const late = capture()
  assert.equal(await healthCommand(url, 100, late.io), 1)
  const closed = await listen(200)
  await new Promise((resolve) => closed.server.close(resolve))
  const refused = capture()
  assert.equal(await healthCommand(closed.url, 2000, refused.io), 1)
  assert.match(refused.errors[0] ?? '', /ECONNREFUSED/)
})
