// k6 script: gRPC Add against summa's calculator.
//   k6 run k6/add-grpc.js                          ramping arrival rate (open model)
//   k6 run -e SCENARIO=vus k6/add-grpc.js          ramping virtual users with think time (closed model)
//   k6 run -e GRPC=127.0.0.1:9090 -e PEAK=2000 k6/add-grpc.js
//   k6 run -e SUMMA_API_KEY=summa_… k6/add-grpc.js   when API keys are configured (add scope)
//   k6 run -e GRPC=127.0.0.1:9090,127.0.0.1:9190 k6/add-grpc.js   several calculators: VUs spread round robin
// Thresholds make k6 exit non-zero when breached, as `summa load --max-p99` does.
import grpc from 'k6/net/grpc'
import { check, sleep } from 'k6'
import { rampingScenarios, selectedScenario } from './scenarios.js'
import { randomIntBetween, uuidv4 } from 'https://jslib.k6.io/k6-utils/1.4.0/index.js'

// One connection per VU; with several calculators, VU n connects to calculator n mod count.
const targets = (__ENV.GRPC || '127.0.0.1:9090').split(',').map((address) => address.trim())
const target = targets[(__VU || 0) % targets.length]
const peak = Number(__ENV.PEAK || 1000)
const duplicateRatio = Number(__ENV.DUPLICATES || 0.05)
// Sent as `authorization: Bearer` metadata; without it, a server with API keys answers UNAUTHENTICATED.
const metadata = __ENV.SUMMA_API_KEY ? { authorization: `Bearer ${__ENV.SUMMA_API_KEY}` } : {}

const scenarios = rampingScenarios({
  peakRate: peak,
  startRate: Math.round(peak / 10),
  preAllocatedVUs: 200,
  maxVUs: 2000,
  peakVUs: Math.round(peak / 4),
})

export const options = {
  scenarios: selectedScenario(scenarios),
  thresholds: {
    grpc_req_duration: ['p(95)<25', 'p(99)<50'],
    checks: ['rate>0.99'],
  },
}

const client = new grpc.Client()
client.load(['../proto'], 'summa/v1/calculator.proto')
const recent = []

export default function () {
  if (__ITER === 0) client.connect(target, { plaintext: true })
  let request
  if (recent.length > 0 && Math.random() < duplicateRatio) {
    // A client retry: same id, same numbers; summa answers it with replayed=true.
    request = recent[randomIntBetween(0, recent.length - 1)]
  } else {
    request = { request_id: uuidv4(), num1: String(randomIntBetween(-1e6, 1e6)), num2: String(randomIntBetween(-1e6, 1e6)) }
    if (recent.length < 100) recent.push(request)
  }
  const response = client.invoke('summa.v1.CalculatorService/Add', request, { timeout: '5s', metadata })
  check(response, {
    'status OK': (r) => r && r.status === grpc.StatusOK,
    'sum is right': (r) => r && r.message && BigInt(r.message.sum) === BigInt(request.num1) + BigInt(request.num2),
  })
  if (__ENV.SCENARIO === 'vus') sleep(randomIntBetween(100, 500) / 1000)
}

export function teardown() {
  client.close()
}
