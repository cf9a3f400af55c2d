import { createServer } from 'node:net'

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/**
 * The range freePort draws from: `SUMMA_TEST_FREE_PORTS=LOW-HIGH` confines a run
 * to ports of its own (several runs on one shared machine), else 20000-31999.
 */
function portRange(): [number, number] {
  const match = /^(\d+)-(\d+)$/.exec(process.env.SUMMA_TEST_FREE_PORTS ?? '')
  return match === null ? [20_000, 31_999] : [Number(match[1]), Number(match[2])]
}

/**
 * A port free right now on 127.0.0.1, for processes that must be told their
 * port up front. Drawn below Linux's ephemeral range (32768+), so a process
 * elsewhere on the machine that binds port 0 cannot be handed the same port
 * between this check and our process binding it.
 */
export async function freePort(): Promise<number> {
  const [low, high] = portRange()
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1))
    if (await canBind(port)) return port
  }
  throw new Error(`no free port found in ${low}-${high}`)
}
