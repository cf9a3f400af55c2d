/**
 * Compares two versions of a JSON Schema that describes data one side writes
 * and the other reads (the Kafka event, its headers) and lists the changes
 * that would break a reader or a writer of the old version:
 * - a required property removed, or no longer required (readers rely on it);
 * - a property made required, or a new required property (records already on
 *   the topic, and writers of the old version, lack it);
 * - a property retyped: its type, const, enum, format or pattern changed;
 * - a definition in $defs removed.
 * New optional properties, descriptions and other annotations are compatible.
 * It walks properties and $defs only: the subset of JSON Schema that
 * z.toJSONSchema produces for these objects.
 */
type Schema = {
  type?: unknown
  const?: unknown
  enum?: unknown
  format?: unknown
  pattern?: unknown
  properties?: Record<string, Schema>
  required?: string[]
  $defs?: Record<string, Schema>
}

const typeKeywords = ['type', 'const', 'enum', 'format', 'pattern'] as const

export function incompatibilities(before: Schema, after: Schema, at = '#'): string[] {
  const problems: string[] = []
  for (const keyword of typeKeywords) {
    const was = JSON.stringify(before[keyword])
    const now = JSON.stringify(after[keyword])
    if (was !== now) problems.push(`${at}: ${keyword} changed from ${was ?? 'none'} to ${now ?? 'none'}`)
  }
  const requiredBefore = new Set(before.required ?? [])
  const requiredAfter = new Set(after.required ?? [])
  const propertiesBefore = before.properties ?? {}
  const propertiesAfter = after.properties ?? {}
  for (const name of requiredBefore) {
    if (!(name in propertiesAfter)) problems.push(`${at}/${name}: required property removed`)
    else if (!requiredAfter.has(name)) problems.push(`${at}/${name}: no longer required`)
  }
  for (const name of requiredAfter) {
    if (!(name in propertiesBefore)) problems.push(`${at}/${name}: new required property`)
    else if (!requiredBefore.has(name)) problems.push(`${at}/${name}: made required`)
  }
  for (const [name, schema] of Object.entries(propertiesBefore)) {
    const next = propertiesAfter[name]
    if (next !== undefined) problems.push(...incompatibilities(schema, next, `${at}/${name}`))
  }
  for (const [name, schema] of Object.entries(before.$defs ?? {})) {
    const next = after.$defs?.[name]
    if (next === undefined) problems.push(`${at}/$defs/${name}: definition removed`)
    else problems.push(...incompatibilities(schema, next, `${at}/$defs/${name}`))
  }
  return problems
}
