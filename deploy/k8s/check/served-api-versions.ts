/**
 * The apiVersion of every kind these manifests may use, as served by the
 * clusters and operators summa supports: Kubernetes 1.30 and later (the
 * preStop `sleep` action is on by default from 1.30), CloudNativePG (v1),
 * Strimzi 0.49 and later (kafka.strimzi.io/v1; Strimzi 1.0 serves nothing
 * else) and prometheus-operator (v1). The schema packages also describe
 * versions no current server accepts (policy/v1beta1, autoscaling/v2beta2,
 * kafka.strimzi.io/v1beta2 on Strimzi 1.0…), and validate them happily, so a
 * kind at any other apiVersion is refused here.
 */
export const servedApiVersions: Readonly<Record<string, string>> = {
  Namespace: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  Service: 'v1',
  ServiceAccount: 'v1',
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  PodDisruptionBudget: 'policy/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  NetworkPolicy: 'networking.k8s.io/v1',
  Ingress: 'networking.k8s.io/v1',
  PodMonitor: 'monitoring.coreos.com/v1',
  ServiceMonitor: 'monitoring.coreos.com/v1',
  Cluster: 'postgresql.cnpg.io/v1',
  Kafka: 'kafka.strimzi.io/v1',
  KafkaNodePool: 'kafka.strimzi.io/v1',
  KafkaTopic: 'kafka.strimzi.io/v1',
  KafkaUser: 'kafka.strimzi.io/v1',
}

/** Undefined when `apiVersion` is served for `kind`, else why not. */
export function unservedApiVersion(apiVersion: string, kind: string): string | undefined {
  const served = servedApiVersions[kind]
  if (served === undefined) return `kind ${kind} is not one these manifests are checked for`
  if (served !== apiVersion) return `${kind} is served as ${served}, not ${apiVersion}`
  return undefined
}
