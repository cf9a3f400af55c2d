import { type PodTemplate, selects } from './pod-templates.ts'
import { describe, type KubeObject } from './schema-check.ts'

/** Services, budgets, autoscalers and PodMonitors must select pods that exist, on ports they have. */
export function selectorProblems(
  objects: KubeObject[],
  templates: PodTemplate[],
  opsRoutes: readonly string[],
  prometheusJobs: readonly string[],
): string[] {
  const found: string[] = []
  // Two workloads whose selectors overlap fight over each other's pods (and an autoscaler counts both).
  for (const owner of templates) {
    const selector = (owner.owner.spec as { selector?: Parameters<typeof selects>[0] }).selector
    if (selector === undefined) continue
    for (const other of templates) {
      if (other !== owner && selects(selector, other.labels))
        found.push(`${describe(owner.owner)}: its selector also selects the pods of ${describe(other.owner)}`)
    }
  }
  for (const object of objects) {
    const spec = object.spec as Record<string, unknown> | undefined
    if (object.kind === 'Service') {
      const selector = spec?.selector as Record<string, string> | undefined
      const pods = templates.filter((t) => selects({ matchLabels: selector ?? {} }, t.labels))
      if (pods.length === 0) found.push(`${describe(object)}: selects no pod`)
      for (const port of (spec?.ports ?? []) as Array<{ targetPort?: number | string; port: number }>) {
        const target = port.targetPort ?? port.port
        const ok = pods.some((pod) =>
          pod.spec.containers.some((c) =>
            (c.ports ?? []).some((p) => p.name === target || p.containerPort === target),
          ),
        )
        if (!ok) found.push(`${describe(object)}: targetPort ${target} is no port of the pods it selects`)
      }
    }
    if (object.kind === 'PodDisruptionBudget') {
      const selector = spec?.selector as Parameters<typeof selects>[0]
      if (!templates.some((t) => selects(selector, t.labels)))
        found.push(`${describe(object)}: selects no pod`)
    }
    if (object.kind === 'HorizontalPodAutoscaler') {
      const target = spec?.scaleTargetRef as { kind: string; name: string }
      if (!objects.some((o) => o.kind === target.kind && o.metadata.name === target.name))
        found.push(`${describe(object)}: scales ${target.kind}/${target.name}, which is not in the render`)
    }
    if (object.kind === 'PodMonitor') {
      const selector = spec?.selector as Parameters<typeof selects>[0]
      const endpoints = (spec?.podMetricsEndpoints ?? []) as Array<{
        port?: string
        path?: string
        relabelings?: Array<{ targetLabel?: string; replacement?: string }>
      }>
      const pods = templates.filter((t) => selects(selector, t.labels))
      if (pods.length === 0) found.push(`${describe(object)}: selects no pod`)
      for (const endpoint of endpoints) {
        if (!opsRoutes.includes(endpoint.path ?? '/metrics'))
          found.push(`${describe(object)}: path ${endpoint.path} is no route of summa`)
      }
      for (const pod of pods) {
        const scraped = endpoints.filter((e) =>
          pod.spec.containers.some((c) =>
            (c.ports ?? []).some(
              (p) => p.name === e.port && String(p.containerPort) === pod.annotations['prometheus.io/port'],
            ),
          ),
        )
        if (scraped.length !== 1)
          found.push(
            `${describe(object)}: scrapes ${describe(pod.owner)} on ${scraped.length} endpoints, not on its metrics port once`,
          )
        for (const endpoint of scraped) {
          const job = endpoint.relabelings?.find((r) => r.targetLabel === 'job')?.replacement
          const name = job?.replace('$1', pod.labels['app.kubernetes.io/component'] ?? '')
          if (name === undefined || !prometheusJobs.includes(name))
            found.push(
              `${describe(object)}: job ${name} for ${describe(pod.owner)} is none of the rules' jobs (${prometheusJobs.join(', ')})`,
            )
        }
      }
    }
  }
  return found
}
