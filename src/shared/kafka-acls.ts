import {
  AclOperations,
  type AclOperationValue,
  AclPermissionTypes,
  type Admin,
  ResourcePatternTypes,
  ResourceTypes,
  type ResourceTypeValue,
} from '@platformatic/kafka'
import { sleep } from './sleep.ts'

export interface ServicePrincipals {
  topic: string
  deadLetterTopic: string
  consumerGroup: string
  /** SCRAM user names; the principal is `User:<name>`. */
  relay: string
  aggregator: string
}

interface Grant {
  principal: string
  resourceType: ResourceTypeValue
  resourceName: string
  operation: AclOperationValue
}

/**
 * The least each service needs on a broker that denies what no ACL allows
 * (StandardAuthorizer, allow.everyone.if.no.acl.found=false):
 * - relay: WRITE the topic (which implies DESCRIBE, and since Kafka 2.8 the
 *   idempotent producer's IDEMPOTENT_WRITE); it cannot read anything.
 * - aggregator: READ the topic and its consumer group (both imply DESCRIBE:
 *   offsets, lag), WRITE the dead-letter topic; it cannot write the topic.
 * Nobody else gets anything: an anonymous client cannot even authenticate.
 */
export function serviceGrants(who: ServicePrincipals): Grant[] {
  const relay = `User:${who.relay}`
  const aggregator = `User:${who.aggregator}`
  const { TOPIC, GROUP } = ResourceTypes
  return [
    { principal: relay, resourceType: TOPIC, resourceName: who.topic, operation: AclOperations.WRITE },
    { principal: aggregator, resourceType: TOPIC, resourceName: who.topic, operation: AclOperations.READ },
    {
      principal: aggregator,
      resourceType: GROUP,
      resourceName: who.consumerGroup,
      operation: AclOperations.READ,
    },
    {
      principal: aggregator,
      resourceType: TOPIC,
      resourceName: who.deadLetterTopic,
      operation: AclOperations.WRITE,
    },
  ]
}

/**
 * Creates the grants (idempotent: the broker keeps one copy of an ACL created
 * twice) and waits until the broker reports every one of them, so the services
 * started next are not refused by ACLs still on their way through the metadata
 * log.
 */
export async function grantServiceAcls(
  admin: Admin,
  who: ServicePrincipals,
  timeoutMs = 30_000,
): Promise<number> {
  const grants = serviceGrants(who)
  const common = {
    resourcePatternType: ResourcePatternTypes.LITERAL,
    host: '*',
    permissionType: AclPermissionTypes.ALLOW,
  }
  await admin.createAcls({ creations: grants.map((grant) => ({ ...grant, ...common })) })
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const missing = await missingGrants(admin, grants)
    if (missing === 0) return grants.length
    if (Date.now() > deadline)
      throw new Error(`${missing} of the ACLs created are still not in force after ${timeoutMs} ms`)
    await sleep(100)
  }
}

async function missingGrants(admin: Admin, grants: Grant[]): Promise<number> {
  const resources = await admin.describeAcls({
    filter: {
      resourceType: ResourceTypes.ANY,
      resourceName: null,
      resourcePatternType: ResourcePatternTypes.ANY,
      principal: null,
      host: null,
      operation: AclOperations.ANY,
      permissionType: AclPermissionTypes.ANY,
    },
  })
  return grants.filter(
    (grant) =>
      !resources.some(
        (resource) =>
          resource.resourceType === grant.resourceType &&
          resource.resourceName === grant.resourceName &&
          resource.acls.some(
            (acl) =>
              acl.principal === grant.principal &&
              acl.operation === grant.operation &&
              acl.permissionType === AclPermissionTypes.ALLOW,
          ),
      ),
  ).length
}
