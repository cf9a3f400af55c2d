import { findModel } from './model-registry.ts'
import { unservedApiVersion } from './served-api-versions.ts'
import { trackAccess } from './unknown-fields.ts'

export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string> }
  [key: string]: unknown
}

/** `Kind/name`, for messages. */
export function describe(object: KubeObject): string {
  return `${object.kind}/${object.metadata?.name ?? '?'}`
}

/**
 * Problems of one rendered object against the official schemas: an apiVersion
 * no supported server serves, no schema for it, a schema violation, or a key
 * the schema does not know. An empty list means the object passed.
 */
export async function schemaProblems(object: KubeObject): Promise<string[]> {
  const name = describe(object)
  const unserved = unservedApiVersion(object.apiVersion, object.kind)
  if (unserved !== undefined) return [`${name}: ${unserved}`]
  const model = await findModel(object.apiVersion, object.kind)
  if (model === undefined) return [`${name}: no schema for ${object.apiVersion} ${object.kind}`]
  const tracked = trackAccess(object)
  const problems: string[] = []
  try {
    model.prototype.validate.call(tracked.value)
  } catch (error) {
    problems.push(`${name}: ${(error as Error).message}`)
  }
  for (const path of tracked.unknownKeys()) problems.push(`${name}: unknown field ${path}`)
  return problems
}
