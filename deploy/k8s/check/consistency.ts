import { loadConfig } from '../../../src/shared/config.ts'
import type { CodeFacts } from './code-facts.ts'
import { containerEnv } from './container-env.ts'
import { type Container, isSummaImage, type PodTemplate, type Probe, podTemplates } from './pod-templates.ts'
import { describe, type KubeObject } from './schema-check.ts'
import { selectorProblems } from './selector-check.ts'

/**
 * Problems where the rendered manifests disagree with the code, the Dockerfile
 * or each other: probe ports and paths, environment variables, metrics
 * endpoints, images and commands, security settings, shutdown timing, and
 * references between objects. Pure: the facts are passed in.
 */
export function consistencyProblems(objects: KubeObject[], facts: CodeFacts): string[] {
  const problems: string[] = []
  const named = (kind: string, name: string) =>
    objects.find((object) => object.kind === kind && object.metadata.name === name)
  const templates = podTemplates(objects)

  for (const pod of templates) {
    for (const container of pod.spec.containers) {
      const where = `${describe(pod.owner)} container ${container.name}`
      if (isSummaImage(container.image)) problems.push(...summaContainer(pod, container, where))
      else if (
        container.image?.startsWith('apache/kafka:') &&
        container.image !== `apache/kafka:${facts.kafkaVersion}`
      )
        problems.push(
          `${where}: image ${container.image}, but the repository's broker is Kafka ${facts.kafkaVersion}`,
        )
    }
  }

  function summaContainer(pod: PodTemplate, container: Container, where: string): string[] {
    const found: string[] = []
    const expected = [`summa:${facts.version}`]
    if (!expected.some((image) => container.image === image || container.image?.endsWith(`/${image}`)))
      found.push(`${where}: image ${container.image}, expected summa:${facts.version} (package.json version)`)
    const command = container.args?.[0] ?? ''
    if (!facts.commands.includes(command))
      found.push(`${where}: args ${JSON.stringify(container.args)} is no summa command`)

    // The environment as the container sees it, checked by summa's own config schema.
    const { env, problems: envProblems } = containerEnv(container, objects, facts.configKeys, where)
    found.push(...envProblems)
    let config: ReturnType<typeof loadConfig> | undefined
    try {
      config = loadConfig(env)
    } catch (error) {
      found.push(`${where}: ${(error as Error).message}`)
    }
    if (config === undefined) return found

    // Ports: exactly those the command listens on, as configured.
    const listener = facts.listeners[command] ?? {}
    const portOf = (key: keyof typeof listener) =>
      listener[key] === undefined ? undefined : Number(config[listener[key]])
    const httpPort = portOf('http')
    const grpcPort = portOf('grpc')
    const wanted = [httpPort, grpcPort].filter((p): p is number => p !== undefined).sort()
    const declared = (container.ports ?? []).map((p) => p.containerPort).sort()
    if (JSON.stringify(wanted) !== JSON.stringify(declared))
      found.push(
        `${where}: containerPorts ${declared.join(',') || 'none'}, but summa ${command} listens on ${wanted.join(',') || 'none'}`,
      )
    const resolve = (port: number | string) =>
      typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort
    const probes: Array<[string, Probe | undefined]> = [
      ['readinessProbe', container.readinessProbe],
      ['livenessProbe', container.livenessProbe],
      ['startupProbe', container.startupProbe],
    ]
    for (const [name, probe] of probes) {
      if (probe === undefined) continue
      if (probe.httpGet !== undefined) {
        if (resolve(probe.httpGet.port) !== httpPort)
          found.push(
            `${where}: ${name} port ${probe.httpGet.port} is not summa ${command}'s HTTP port ${httpPort}`,
          )
        if (!facts.opsRoutes.includes(probe.httpGet.path ?? '/'))
          found.push(
            `${where}: ${name} path ${probe.httpGet.path} is no route of summa (${facts.opsRoutes.join(', ')})`,
          )
      } else if (probe.grpc !== undefined) {
        if (probe.grpc.port !== grpcPort)
          found.push(`${where}: ${name} gRPC port ${probe.grpc.port} is not ${grpcPort}`)
        if (!facts.grpcHealthServices.includes(probe.grpc.service ?? ''))
          found.push(
            `${where}: ${name} asks grpc.health.v1 for "${probe.grpc.service}", which summa does not register`,
          )
      } else found.push(`${where}: ${name} must use summa's HTTP health routes or grpc.health.v1`)
    }
    if (httpPort !== undefined && container.readinessProbe === undefined)
      found.push(`${where}: no readinessProbe`)
    if (httpPort !== undefined && container.livenessProbe === undefined)
      found.push(`${where}: no livenessProbe`)

    // Prometheus annotations point at the port that serves /metrics.
    const scrape = pod.annotations
    if (httpPort !== undefined) {
      if (scrape['prometheus.io/scrape'] !== 'true')
        found.push(`${where}: no prometheus.io/scrape annotation`)
      if (Number(scrape['prometheus.io/port']) !== httpPort)
        found.push(
          `${where}: prometheus.io/port ${scrape['prometheus.io/port']} is not the metrics port ${httpPort}`,
        )
      const path = scrape['prometheus.io/path'] ?? '/metrics'
      if (path !== '/metrics' || !facts.opsRoutes.includes(path))
        found.push(`${where}: prometheus.io/path ${path} serves no metrics`)
    }

    // Security: what the restricted Pod Security Standard and the image's user require.
    const pod_ = pod.spec.securityContext ?? {}
    const own = container.securityContext ?? {}
    if ((own.runAsNonRoot ?? pod_.runAsNonRoot) !== true) found.push(`${where}: runAsNonRoot is not true`)
    const uid = own.runAsUser ?? pod_.runAsUser
    if (uid !== facts.dockerfile.uid)
      found.push(`${where}: runAsUser ${uid}, but the image's user is ${facts.dockerfile.uid}`)
    if (own.readOnlyRootFilesystem !== true) found.push(`${where}: the root filesystem is not read-only`)
    if (own.allowPrivilegeEscalation !== false) found.push(`${where}: allowPrivilegeEscalation is not false`)
    if (!(own.capabilities?.drop ?? []).includes('ALL'))
      found.push(`${where}: capabilities are not all dropped`)
    if ((own.seccompProfile ?? pod_.seccompProfile)?.type !== 'RuntimeDefault')
      found.push(`${where}: seccomp is not RuntimeDefault`)
    const mounts = (container.volumeMounts ?? []).map((m) => m.mountPath)
    for (const dir of [config.SUMMA_DATA_DIR, '/tmp'])
      if (!mounts.includes(dir))
        found.push(`${where}: ${dir} must be a writable volume (the root filesystem is read-only)`)

    // The image: its user, ports, data directory and V8 flags (the sizing was measured with them).
    const image = facts.dockerfile
    for (const port of declared)
      if (!image.exposed.includes(port)) found.push(`${where}: port ${port} is not EXPOSEd by the Dockerfile`)
    if (image.env.SUMMA_DATA_DIR !== undefined && image.env.SUMMA_DATA_DIR !== config.SUMMA_DATA_DIR)
      found.push(
        `${where}: SUMMA_DATA_DIR ${config.SUMMA_DATA_DIR}, the image's is ${image.env.SUMMA_DATA_DIR}`,
      )
    for (const flag of facts.nodeFlags)
      if (!image.entrypoint.includes(flag))
        found.push(`${where}: the Dockerfile's ENTRYPOINT lacks ${flag}, which the resource limits assume`)

    // Shutdown: SIGKILL must not come before the preStop sleep and summa's own drain are over.
    if (pod.owner.kind !== 'Job') {
      const sleep = container.lifecycle?.preStop?.sleep?.seconds ?? 0
      const needed = sleep + Math.ceil(config.SUMMA_SHUTDOWN_TIMEOUT_MS / 1000) + 1
      const grace = pod.spec.terminationGracePeriodSeconds ?? 30
      if (grace < needed)
        found.push(
          `${where}: terminationGracePeriodSeconds ${grace} < preStop ${sleep} s + SUMMA_SHUTDOWN_TIMEOUT_MS + 1 s = ${needed}`,
        )
    }
    if (pod.owner.kind === 'Deployment') {
      const rolling = (
        pod.owner.spec as { strategy?: { rollingUpdate?: { maxUnavailable?: number | string } } }
      ).strategy?.rollingUpdate
      if (rolling?.maxUnavailable !== 0) found.push(`${where}: rollingUpdate.maxUnavailable must be 0`)
    }
    // Kafka and PostgreSQL are reached by names that something in the render provides.
    for (const address of config.KAFKA_BOOTSTRAP_SERVERS.split(',')) {
      const host = address.split(':')[0]!.split('.')[0]!
      const strimzi = objects.some((o) => o.kind === 'Kafka' && `${o.metadata.name}-kafka-bootstrap` === host)
      if (!strimzi && named('Service', host) === undefined)
        found.push(`${where}: Kafka at ${address}, but no Service ${host}`)
    }
    const dbHost = new URL(config.DATABASE_URL).hostname.split('.')[0]!
    const cnpg = objects.some((o) => o.kind === 'Cluster' && `${o.metadata.name}-rw` === dbHost)
    if (!cnpg && named('Service', dbHost) === undefined)
      found.push(`${where}: PostgreSQL at ${dbHost}, but no Service of that name`)
    return found
  }

  problems.push(...selectorProblems(objects, templates, facts.opsRoutes, facts.prometheusJobs))
  return problems
}
