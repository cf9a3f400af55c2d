import type { FastifyInstance } from 'fastify'
import type { AccessGuard } from '../auth/access-guard.ts'
import type { Scope } from '../auth/api-keys.ts'
import { ErrorCodes } from '../errors.ts'
import { httpErrorOf } from '../http-status.ts'

/**
 * Paths any caller may read: probes and Prometheus hold no key, and
 * /openapi.json is the contract the repository publishes (docs/openapi.json).
 */
export const publicPaths: ReadonlySet<string> = new Set([
  '/health',
  '/health/live',
  '/metrics',
  '/openapi.json',
])

const realm = 'summa'

/**
 * Requires `scope` on every request of `app` but those to `publicPaths`,
 * unknown paths included (a 404 would tell a stranger which paths exist).
 * Answers 401 with `WWW-Authenticate: Bearer` (and `Basic`, so that a browser
 * opening the console asks for the key and then sends it with the page's
 * event stream, which cannot carry a Bearer header), 403 with
 * error="insufficient_scope", 429 with `Retry-After` (seconds).
 */
export function requireScope(app: FastifyInstance, guard: AccessGuard, scope: Scope): void {
  app.addHook('onRequest', async (request, reply) => {
    const path = request.routeOptions.url ?? request.url.split('?', 1)[0] ?? request.url
    if (publicPaths.has(path)) return
    const decision = await guard.check(request.headers.authorization, scope)
    if (decision.ok) return
    const answer = httpErrorOf(decision.error)
    const code = decision.error.code
    if (code === ErrorCodes.UNAUTHENTICATED) {
      const error = request.headers.authorization === undefined ? '' : ', error="invalid_token"'
      reply.header('www-authenticate', [
        `Bearer realm="${realm}"${error}`,
        `Basic realm="${realm}", charset="UTF-8"`,
      ])
    } else if (code === ErrorCodes.PERMISSION_DENIED) {
      reply.header(
        'www-authenticate',
        `Bearer realm="${realm}", error="insufficient_scope", scope="${scope}"`,
      )
    } else if (decision.retryAfterMs !== undefined) {
      reply.header('retry-after', String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))))
    }
    return reply.code(answer.status).send({ error: answer.code, message: answer.message })
  })
}
