// The deploy test's stand-in for Tempo (whose image cannot be pulled here): an OTLP/HTTP
// receiver on Tempo's port that accepts what summa's exporter posts (JSON, /v1/traces) and
// counts the spans per service.name, so the test can check that every service traces.
// GET /spans answers the counts. Arguments (Tempo's -config.file=…) are ignored.
import { createServer } from 'node:http'

const spans = {}
const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/spans') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(spans))
    return
  }
  if (request.method !== 'POST' || request.url !== '/v1/traces') {
    response.writeHead(404).end()
    return
  }
  const chunks = []
  request.on('data', (chunk) => chunks.push(chunk))
  request.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      for (const resourceSpans of body.resourceSpans ?? []) {
        const name = resourceSpans.resource?.attributes?.find((a) => a.key === 'service.name')?.value
          ?.stringValue
        const count = (resourceSpans.scopeSpans ?? []).reduce((n, scope) => n + (scope.spans?.length ?? 0), 0)
        spans[name ?? 'unknown'] = (spans[name ?? 'unknown'] ?? 0) + count
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    } catch (error) {
      response.writeHead(400).end(String(error))
    }
  })
})
server.listen(4318, '0.0.0.0')
process.on('SIGTERM', () => {
  server.close(() => process.exit(0))
  server.closeAllConnections()
})
