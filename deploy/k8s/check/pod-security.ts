import type { KubeObject } from './schema-check.ts'

interface SecurityContext {
  privileged?: boolean
  allowPrivilegeEscalation?: boolean
  runAsNonRoot?: boolean
  runAsUser?: number
  capabilities?: { add?: string[]; drop?: string[] }
  seccompProfile?: { type: string }
}

interface PodSpec {
  hostNetwork?: boolean
  hostPID?: boolean
  hostIPC?: boolean
  securityContext?: SecurityContext
  volumes?: Array<Record<string, unknown>>
  containers: Array<{ name: string; securityContext?: SecurityContext }>
  initContainers?: Array<{ name: string; securityContext?: SecurityContext }>
}

// Volume types the restricted standard admits (besides the `name` key every volume has).
const restrictedVolumes = new Set([
  'name',
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
])

/**
 * Pods of a namespace that enforces the "restricted" Pod Security Standard
 * must meet it, or the API server refuses them at creation time: a failure
 * only a real cluster would show otherwise. Checks the standard's rules that
 * a manifest decides (not the ones an image or a node does).
 */
export function podSecurityProblems(objects: KubeObject[]): string[] {
  const restricted = new Set(
    objects
      .filter(
        (o) =>
          o.kind === 'Namespace' &&
          o.metadata.labels?.['pod-security.kubernetes.io/enforce'] === 'restricted',
      )
      .map((o) => o.metadata.name),
  )
  const found: string[] = []
  for (const object of objects) {
    const spec = (object.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec
    if (spec === undefined || !restricted.has(object.metadata.namespace ?? '')) continue
    const where = `${object.kind}/${object.metadata.name}`
    if (spec.hostNetwork || spec.hostPID || spec.hostIPC) found.push(`${where}: shares the host's namespaces`)
    for (const volume of spec.volumes ?? []) {
      const kinds = Object.keys(volume).filter((key) => !restrictedVolumes.has(key))
      if (kinds.length > 0) found.push(`${where}: volume ${volume.name} of type ${kinds.join(', ')}`)
    }
    const pod = spec.securityContext ?? {}
    for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
      const own = container.securityContext ?? {}
      const at = `${where} container ${container.name} (restricted namespace)`
      if (own.privileged) found.push(`${at}: privileged`)
      if (own.allowPrivilegeEscalation !== false) found.push(`${at}: allowPrivilegeEscalation is not false`)
      if (!(own.capabilities?.drop ?? []).includes('ALL'))
        found.push(`${at}: capabilities are not all dropped`)
      const added = (own.capabilities?.add ?? []).filter((c) => c !== 'NET_BIND_SERVICE')
      if (added.length > 0) found.push(`${at}: adds capabilities ${added.join(', ')}`)
      if ((own.runAsNonRoot ?? pod.runAsNonRoot) !== true) found.push(`${at}: runAsNonRoot is not true`)
      if ((own.runAsUser ?? pod.runAsUser) === 0) found.push(`${at}: runs as root`)
      const seccomp = (own.seccompProfile ?? pod.seccompProfile)?.type
      if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
        found.push(`${at}: seccomp profile ${seccomp}`)
    }
  }
  return found
}
