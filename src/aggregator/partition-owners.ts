import type { Admin } from '@platformatic/kafka'

/** Which aggregator replica holds which partitions of the topic, as the group coordinator says. */
export interface PartitionOwner {
  /** The replica id: the member's client id without its `summa-aggregator-` prefix. */
  replica: string
  partitions: number[]
}

const clientIdPrefix = 'summa-aggregator-'

/**
 * Reads the consumer group's members and their assignments (DescribeGroups).
 * Empty during a rebalance or when no aggregator is in the group; sorted by
 * replica so the console's line does not jump around.
 */
export async function readPartitionOwners(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<PartitionOwner[]> {
  const groups = await admin.describeGroups({ groups: [groupId] })
  const group = groups.get(groupId)
  if (group === undefined) return []
  const owners: PartitionOwner[] = []
  for (const member of group.members.values()) {
    const partitions = [...(member.assignments?.values() ?? [])]
      .filter((assignment) => assignment.topic === topic)
      .flatMap((assignment) => assignment.partitions)
      .sort((a, b) => a - b)
    const replica = member.clientId.startsWith(clientIdPrefix)
      ? member.clientId.slice(clientIdPrefix.length)
      : member.clientId
    owners.push({ replica, partitions })
  }
  return owners.sort((a, b) => a.replica.localeCompare(b.replica))
}
