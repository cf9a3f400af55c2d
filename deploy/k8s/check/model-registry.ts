/**
 * Finds the kubernetes-models class for an object's apiVersion and kind: the
 * official Kubernetes schemas (kubernetes-models) and the operators' CRD
 * schemas (@kubernetes-models/strimzi-kafka-operator, cloudnative-pg,
 * prometheus-operator), each compiled to a validator by its package.
 */
export interface SchemaModel {
  prototype: { validate(this: unknown): void }
}

const packageByGroup: Readonly<Record<string, string>> = {
  'kafka.strimzi.io': '@kubernetes-models/strimzi-kafka-operator',
  'postgresql.cnpg.io': '@kubernetes-models/cloudnative-pg',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
}

/** The model for apiVersion/kind, or undefined when no package describes it. */
export async function findModel(apiVersion: string, kind: string): Promise<SchemaModel | undefined> {
  if (!/^[a-z0-9.-]*\/?v[0-9a-z]+$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return undefined
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : ''
  const root = packageByGroup[group] ?? 'kubernetes-models'
  try {
    const module = (await import(`${root}/${apiVersion}/${kind}`)) as Record<string, unknown>
    const model = module[kind]
    return typeof model === 'function' ? (model as unknown as SchemaModel) : undefined
  } catch {
    return undefined
  }
}
