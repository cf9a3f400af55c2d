import { operatorSecret } from './operator-secrets.ts'
import type { Container } from './pod-templates.ts'
import type { KubeObject } from './schema-check.ts'

/** A container's environment as the render gives it, and what in it is wrong. */
export interface ContainerEnv {
  env: Record<string, string>
  /** The variables whose value comes from a Secret (by secretKeyRef), with where from. */
  fromSecrets: Record<string, { name: string; key: string }>
  problems: string[]
}

/**
 * The environment a summa container sees: its ConfigMaps and Secrets (envFrom), then its own
 * `env`, each reference resolved against the render or the Secrets an operator makes for it.
 * Every name must be one of summa's settings (`configKeys`): a misspelt one would be ignored.
 */
export function containerEnv(
  container: Container,
  objects: KubeObject[],
  configKeys: readonly string[],
  where: string,
): ContainerEnv {
  const problems: string[] = []
  const named = (kind: string, name: string) =>
    objects.find((object) => object.kind === kind && object.metadata.name === name)
  const configMapData = (name: string) =>
    (named('ConfigMap', name) as { data?: Record<string, string> } | undefined)?.data
  const secretData = (name: string): Record<string, string> | undefined => {
    const secret = named('Secret', name) as { data?: Record<string, string> } | undefined
    if (secret === undefined) return operatorSecret(objects, name)
    return Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    )
  }

  const env: Record<string, string> = {}
  const fromSecrets: ContainerEnv['fromSecrets'] = {}
  for (const from of container.envFrom ?? []) {
    const data = from.configMapRef
      ? configMapData(from.configMapRef.name)
      : secretData(from.secretRef?.name ?? '')
    const source = from.configMapRef?.name ?? from.secretRef?.name
    if (data === undefined) problems.push(`${where}: envFrom ${source} is in no object of the render`)
    for (const [key, value] of Object.entries(data ?? {})) {
      if (!configKeys.includes(key)) problems.push(`${where}: ${key} (from ${source}) is not a summa setting`)
      env[key] = value
      if (from.secretRef !== undefined) fromSecrets[key] = { name: from.secretRef.name, key }
    }
  }
  for (const variable of container.env ?? []) {
    if (!configKeys.includes(variable.name))
      problems.push(`${where}: env ${variable.name} is not a summa setting`)
    const ref = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef
    // `env` overrides envFrom: forget where an earlier value came from.
    delete fromSecrets[variable.name]
    if (ref !== undefined) {
      const data = variable.valueFrom?.secretKeyRef ? secretData(ref.name) : configMapData(ref.name)
      const value = data?.[ref.key]
      if (value === undefined)
        problems.push(
          `${where}: env ${variable.name} refers to ${ref.name}/${ref.key}, which nothing provides`,
        )
      else env[variable.name] = value
      if (variable.valueFrom?.secretKeyRef !== undefined) fromSecrets[variable.name] = ref
    } else if (variable.value !== undefined) env[variable.name] = variable.value
  }
  return { env, fromSecrets, problems }
}
