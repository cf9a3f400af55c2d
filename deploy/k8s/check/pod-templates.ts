import type { KubeObject } from './schema-check.ts'

/** The parts of a Kubernetes pod spec these checks read. */
export interface Probe {
  httpGet?: { path?: string; port: number | string }
  grpc?: { port: number; service?: string }
  tcpSocket?: { port: number | string }
  exec?: unknown
}

export interface Container {
  name: string
  image?: string
  args?: string[]
  env?: Array<{
    name: string
    value?: string
    valueFrom?: {
      secretKeyRef?: { name: string; key: string }
      configMapKeyRef?: { name: string; key: string }
    }
  }>
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>
  ports?: Array<{ name?: string; containerPort: number }>
  readinessProbe?: Probe
  livenessProbe?: Probe
  startupProbe?: Probe
  lifecycle?: { preStop?: { sleep?: { seconds: number } } }
  securityContext?: {
    runAsNonRoot?: boolean
    runAsUser?: number
    readOnlyRootFilesystem?: boolean
    allowPrivilegeEscalation?: boolean
    capabilities?: { drop?: string[] }
    seccompProfile?: { type: string }
  }
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string }>
}

export interface PodTemplate {
  owner: KubeObject
  labels: Record<string, string>
  annotations: Record<string, string>
  spec: {
    containers: Container[]
    terminationGracePeriodSeconds?: number
    volumes?: Array<{
      name: string
      secret?: { secretName?: string; items?: Array<{ key: string; path: string }> }
    }>
    securityContext?: {
      runAsNonRoot?: boolean
      runAsUser?: number
      seccompProfile?: { type: string }
    }
  }
}

/** Every pod template among the objects (Deployments, StatefulSets, Jobs). */
export function podTemplates(objects: KubeObject[]): PodTemplate[] {
  return objects.flatMap((object) => {
    const template = (object.spec as { template?: { metadata?: Record<string, unknown>; spec?: unknown } })
      ?.template
    if (template?.spec === undefined) return []
    const metadata = (template.metadata ?? {}) as {
      labels?: Record<string, string>
      annotations?: Record<string, string>
    }
    return [
      {
        owner: object,
        labels: metadata.labels ?? {},
        annotations: metadata.annotations ?? {},
        spec: template.spec as PodTemplate['spec'],
      },
    ]
  })
}

/** Whether a label selector (matchLabels and In/NotIn/Exists expressions) selects these labels. */
export function selects(
  selector: {
    matchLabels?: Record<string, string>
    matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>
  },
  labels: Record<string, string>,
): boolean {
  const plain = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value)
  const expressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    if (operator === 'In') return values.includes(labels[key] ?? '\0')
    if (operator === 'NotIn') return !values.includes(labels[key] ?? '\0')
    if (operator === 'Exists') return key in labels
    return !(key in labels)
  })
  return plain && expressions
}

/** A summa container: one that runs the summa image. */
export function isSummaImage(image: string | undefined): boolean {
  return image !== undefined && /(^|\/)summa([:@]|$)/.test(image)
}
