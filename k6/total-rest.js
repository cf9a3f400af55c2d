// k6 script: REST reads of the running total and health, while Adds run elsewhere.
//   k6 run k6/total-rest.js                        ramping arrival rate (open model)
//   k6 run -e SCENARIO=vus k6/total-rest.js        ramping virtual users with think time
//   k6 run -e HTTP=http://127.0.0.1:8080 -e PEAK=500 k6/total-rest.js
import http from 'k6/http'
import { check, sleep } from 'k6'
import { rampingScenarios, selectedScenario } from './scenarios.js'

const base = __ENV.HTTP || 'http://127.0.0.1:8080'
const peak = Number(__ENV.PEAK || 500)
// GET /total needs a key with the read scope when API keys are configured; /health never does.
const headers = __ENV.SUMMA_API_KEY ? { authorization: `Bearer ${__ENV.SUMMA_API_KEY}` } : {}

const scenarios = rampingScenarios({
  peakRate: peak,
  startRate: 10,
  preAllocatedVUs: 50,
  maxVUs: 500,
  peakVUs: Math.round(peak / 10),
})

export const options = {
  scenarios: selectedScenario(scenarios),
  thresholds: {
    'http_req_duration{endpoint:total}': ['p(99)<10'],
    http_req_failed: ['rate<0.01'],
  },
}

export default function () {
  // Randomized endpoints: mostly the total, sometimes health.
  if (Math.random() < 0.9) {
    const response = http.get(`${base}/total`, { headers, tags: { endpoint: 'total' } })
    check(response, {
      'total 200': (r) => r.status === 200,
      'total is an integer string': (r) => /^-?\d+$/.test(r.json('total')),
    })
  } else {
    const response = http.get(`${base}/health`, { tags: { endpoint: 'health' } })
    check(response, { 'health 200': (r) => r.status === 200 })
  }
  if (__ENV.SCENARIO === 'vus') sleep(0.1 + Math.random() * 0.4)
}
