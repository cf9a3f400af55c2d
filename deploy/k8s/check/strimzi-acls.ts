import { AclOperations, ResourceTypes } from '@platformatic/kafka'
import { type ServicePrincipals, serviceGrants } from '../../../src/shared/kafka-acls.ts'

/** One ACL rule as Strimzi's KafkaUser writes it (kafka.strimzi.io/v1, authorization simple). */
export interface StrimziAcl {
  type?: 'allow' | 'deny'
  resource: { type: string; name?: string; patternType?: 'literal' | 'prefix' }
  host?: string
  operations: string[]
}

/** TRANSACTIONAL_ID → transactionalId, IDEMPOTENT_WRITE → IdempotentWrite: Strimzi's spelling of Kafka's names. */
function camel(name: string, upperFirst: boolean): string {
  const words = name.toLowerCase().split('_')
  const joined = words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('')
  return upperFirst ? joined : joined[0]!.toLowerCase() + joined.slice(1)
}

const nameOf = (table: Record<string, number>, value: number): string =>
  Object.entries(table).find(([, v]) => v === value)?.[0] ?? `UNKNOWN_${value}`

/**
 * One allowed operation as a line: `Write topic summa.sums.v1`, with `*` after a prefix, and
 * `(deny)` or `from <host>` when the rule says so. Both sides are written this way to compare.
 */
function line(operation: string, type: string, name: string, prefix: boolean, deny: boolean, host: string) {
  const on = type === 'cluster' ? 'cluster' : `${type} ${name}${prefix ? '*' : ''}`
  return `${operation} ${on}${deny ? ' (deny)' : ''}${host === '*' ? '' : ` from ${host}`}`
}

/** What a KafkaUser's ACLs allow (and deny), one line per operation. */
export function strimziAclLines(acls: readonly StrimziAcl[]): string[] {
  return acls.flatMap((acl) =>
    acl.operations.map((operation) =>
      line(
        operation,
        acl.resource.type,
        acl.resource.name ?? '',
        acl.resource.patternType === 'prefix',
        acl.type === 'deny',
        acl.host ?? '*',
      ),
    ),
  )
}

/** What `summa migrate` grants `principal` (a SCRAM user name), in the same lines. */
export function grantedLines(who: ServicePrincipals, principal: string): string[] {
  return serviceGrants(who)
    .filter((grant) => grant.principal === `User:${principal}`)
    .map((grant) =>
      line(
        camel(nameOf(AclOperations, grant.operation), true),
        camel(nameOf(ResourceTypes, grant.resourceType), false),
        grant.resourceName,
        false,
        false,
        '*',
      ),
    )
}
