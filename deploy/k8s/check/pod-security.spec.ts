import assert from 'node:assert/strict'
import { test } from 'node:test'
import { podSecurityProblems } from './pod-security.ts'
import type { KubeObject } from './schema-check.ts'

const namespace = (enforce: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'ns', labels: { 'pod-security.kubernetes.io/enforce': enforce } },
})

const statefulSet = (
  podSecurity: Record<string, unknown>,
  container: Record<string, unknown>,
): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'db', namespace: 'ns' },
  spec: {
    template: {
      spec: {
        securityContext: podSecurity,
        containers: [{ name: 'postgres', ...container }],
        volumes: [{ name: 'run', emptyDir: {} }],
      },
    },
  },
})

const compliant = {
  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
}
const pod = { runAsNonRoot: true, runAsUser: 999, seccompProfile: { type: 'RuntimeDefault' } }

test('a pod that meets the restricted standard passes', () => {
  assert.deepEqual(podSecurityProblems([namespace('restricted'), statefulSet(pod, compliant)]), [])
})

test('a pod the restricted standard refuses is found, with each reason', () => {
  const problems = podSecurityProblems([
    namespace('restricted'),
    statefulSet({ runAsUser: 0 }, { securityContext: { capabilities: { add: ['NET_ADMIN'] } } }),
  ])
  for (const reason of [
    /allowPrivilegeEscalation is not false/,
    /capabilities are not all dropped/,
    /adds capabilities NET_ADMIN/,
    /runAsNonRoot is not true/,
    /runs as root/,
    /seccomp profile undefined/,
  ]) {
    assert.ok(
      problems.some((p) => reason.test(p)),
      `${reason} in ${problems.join('\n')}`,
    )
  }
})

test('host paths and host namespaces are refused', () => {
  const set = statefulSet(pod, compliant) as unknown as {
    spec: { template: { spec: Record<string, unknown> } }
  }
  set.spec.template.spec.hostNetwork = true
  set.spec.template.spec.volumes = [{ name: 'data', hostPath: { path: '/srv' } }]
  const problems = podSecurityProblems([namespace('restricted'), set as unknown as KubeObject])
  assert.deepEqual(problems, [
    "StatefulSet/db: shares the host's namespaces",
    'StatefulSet/db: volume data of type hostPath',
  ])
})

test('namespaces that do not enforce restricted are left alone', () => {
  assert.deepEqual(podSecurityProblems([namespace('baseline'), statefulSet({}, {})]), [])
})
