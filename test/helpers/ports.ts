import { createServer } from 'node:net'

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/**
 * A port free right now on 127.0.0.1, for processes that must be told their
 * port up front. Drawn below Linux's ephemeral range (32768+), so a process
 * elsewhere on the machine that binds port 0 cannot be handed the same port
 * between this check and our process binding it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000)
    if (await canBind(port)) return port
  }
  throw new Error('no free port found in 20000-31999')
}
