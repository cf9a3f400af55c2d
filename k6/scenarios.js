// Shared by the k6 scripts: the two load models, ramped to PEAK and held, and the
// choice between them (-e SCENARIO=arrival|vus).

/**
 * ramping-arrival-rate (open model) and ramping-vus (closed model) scenarios:
 * 30 s up to the peak, 1 min held, 15 s down.
 */
export function rampingScenarios({ peakRate, startRate, preAllocatedVUs, maxVUs, peakVUs }) {
  const ramp = (target) => [
    { duration: '30s', target },
    { duration: '1m', target },
    { duration: '15s', target: 0 },
  ]
  return {
    arrival: {
      executor: 'ramping-arrival-rate',
      startRate,
      timeUnit: '1s',
      preAllocatedVUs,
      maxVUs,
      stages: ramp(peakRate),
    },
    vus: { executor: 'ramping-vus', startVUs: 0, stages: ramp(peakVUs) },
  }
}

/** The scenario named by -e SCENARIO (default: arrival), as k6's `options.scenarios`. */
export function selectedScenario(scenarios) {
  const name = __ENV.SCENARIO || 'arrival'
  return { [name]: scenarios[name] }
}
