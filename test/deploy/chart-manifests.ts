// Reading `helm template` output: the objects, and what the tests ask of them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === 'object' && 'kind' in o);
}

export function ofKind(objects: readonly K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

interface Probe {
  httpGet: { path: string; port: string | number };
}

/** What the probe and start-command suite needs of one app's Deployment. */
export interface AppDeployment {
  app: string;
  port: number;
  probes: { startup: string; liveness: string; readiness: string };
  gracePeriodSeconds: number;
  /** Environment variables the Deployment takes from Secrets. */
  secretEnv: string[];
  configMap: string;
}

export function appDeployments(objects: readonly K8sObject[]): AppDeployment[] {
  return ofKind(objects, 'Deployment').map((d) => {
    const pod = (d.spec as { template: { spec: PodSpec } }).template.spec;
    const container = pod.containers[0]!;
    const env = container.env ?? [];
    const volume = pod.volumes.find((v) => v.name === 'config')!;
    return {
      app: env.find((e) => e.name === 'SLUICE_APP')!.value!,
      port: container.ports.find((p) => p.name === 'http')!.containerPort,
      probes: {
        startup: container.startupProbe.httpGet.path,
        liveness: container.livenessProbe.httpGet.path,
        readiness: container.readinessProbe.httpGet.path,
      },
      gracePeriodSeconds: pod.terminationGracePeriodSeconds,
      secretEnv: env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name),
      configMap: volume.configMap!.name,
    };
  });
}

interface PodSpec {
  terminationGracePeriodSeconds: number;
  containers: Array<{
    env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: unknown } }>;
    ports: Array<{ name: string; containerPort: number }>;
    startupProbe: Probe;
    livenessProbe: Probe;
    readinessProbe: Probe;
  }>;
  volumes: Array<{ name: string; configMap?: { name: string } }>;
}

/** Writes each ConfigMap's files into a folder of its own, as the pod would see them mounted. */
export function mountConfigMaps(objects: readonly K8sObject[]): Map<string, string> {
  const root = mkdtempSync(join(tmpdir(), 'sluice-chart-config-'));
  const mounted = new Map<string, string>();
  for (const cm of ofKind(objects, 'ConfigMap')) {
    const dir = mkdtempSync(join(root, `${cm.metadata.name}-`));
    for (const [file, text] of Object.entries(cm.data ?? {})) writeFileSync(join(dir, file), text);
    mounted.set(cm.metadata.name, dir);
  }
  return mounted;
}
