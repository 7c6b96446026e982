// JSON schemas for kubeconform, generated offline from what the package registries serve:
//   - Kubernetes: the OpenAPI v2 spec inside the k8s.io/kubernetes Go module (api/openapi-spec);
//   - KEDA and Prometheus Operator: the CRD YAML inside their Go modules;
//   - Strimzi: the CRDs its own generator (io.strimzi:crd-generator, Maven Central) writes from the
//     io.strimzi:api model classes — the jar ships no YAML — run with a Java 21+ found on the machine.
// Every object schema gets additionalProperties: false (kubectl's own validation rule; kubeconform's
// published "-strict" schemas do the same), so a misspelled field is an error, not ignored.
// The result is cached per version set under SLUICE_CACHE_DIR/deploy-tools.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { envString } from '@sluice/config';
import { cached, DEPLOY_VERSIONS, deployToolsDir, goEnv, run, runOrThrow } from './deploy-toolchain';

type Schema = Record<string, unknown>;

/** The schema folder (`<kind>-<group>-<version>.json`, kubeconform's naming) for the pinned versions. */
export function kubeSchemaDir(): string {
  const v = DEPLOY_VERSIONS;
  return join(
    deployToolsDir(),
    `schemas-k8s${v.kubernetes}-keda${v.keda}-promop${v.prometheusOperator}-strimzi${v.strimzi}`,
  );
}

/** kubeconform's -schema-location template for that folder. */
export function kubeSchemaLocation(): string {
  return `${kubeSchemaDir()}/{{ .ResourceKind }}{{ .KindSuffix }}.json`;
}

export async function ensureKubeSchemas(): Promise<string> {
  const dir = kubeSchemaDir();
  await cached(join(dir, '.complete'), async () => {
    const partial = `${dir}.partial`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    const modules = await goModuleDirs([
      `k8s.io/kubernetes@v${DEPLOY_VERSIONS.kubernetes}`,
      `github.com/kedacore/keda/v2@${DEPLOY_VERSIONS.keda}`,
      `github.com/prometheus-operator/prometheus-operator@${DEPLOY_VERSIONS.prometheusOperator}`,
    ]);
    const [kubernetes, keda, promOperator] = modules as [string, string, string];
    writeKubernetesSchemas(join(kubernetes, 'api', 'openapi-spec', 'swagger.json'), partial);
    const crds = [
      ...yamlFiles(join(keda, 'config', 'crd', 'bases')),
      ...yamlFiles(join(promOperator, 'example', 'prometheus-operator-crd')),
      ...(await strimziCrds(join(deployToolsDir(), `strimzi-crds-${DEPLOY_VERSIONS.strimzi}`))),
    ];
    for (const file of crds) writeCrdSchemas(readFileSync(file, 'utf8'), partial);
    writeFileSync(join(partial, '.complete'), `${new Date().toISOString()}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
  });
  return dir;
}

/** `go mod download -json` of each module: the folder of its files in the module cache. */
async function goModuleDirs(modules: readonly string[]): Promise<string[]> {
  mkdirSync(deployToolsDir(), { recursive: true });
  const out = await runOrThrow('go', ['mod', 'download', '-json', ...modules], {
    env: goEnv(),
    cwd: deployToolsDir(),
  });
  const dirs = [...out.matchAll(/"Dir":\s*"([^"]+)"/g)].map((m) => m[1]!);
  if (dirs.length !== modules.length)
    throw new Error(`go mod download named ${dirs.length} folders for ${modules.join(' ')}`);
  return dirs;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(dir, f));
}

/** kubeconform's file name: kind, first label of the group (or the core version), version. */
function schemaFileName(kind: string, group: string, version: string): string {
  const suffix = group === '' ? `-${version}` : `-${group.split('.')[0]}-${version}`;
  return `${kind.toLowerCase()}${suffix.toLowerCase()}.json`;
}

/**
 * One standalone schema per Kubernetes kind: its definition plus every definition it reaches,
 * `$ref`s kept local (`#/definitions/...`), strict.
 */
function writeKubernetesSchemas(swaggerFile: string, outDir: string): void {
  const definitions = (
    JSON.parse(readFileSync(swaggerFile, 'utf8')) as { definitions: Record<string, Schema> }
  ).definitions;
  for (const definition of Object.values(definitions)) {
    const gvks = definition['x-kubernetes-group-version-kind'] as
      Array<{ group: string; version: string; kind: string }> | undefined;
    if (!gvks) continue;
    const reached = new Map<string, Schema>();
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(visit);
      else if (node !== null && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref' && typeof value === 'string') {
            const ref = value.replace('#/definitions/', '');
            if (!reached.has(ref) && definitions[ref]) {
              reached.set(ref, strict(kubernetesQuirks(ref, definitions[ref])));
              visit(definitions[ref]);
            }
          } else visit(value);
        }
      }
    };
    visit(definition);
    const schema = { ...strict(definition), definitions: Object.fromEntries(reached) };
    for (const gvk of gvks)
      writeFileSync(join(outDir, schemaFileName(gvk.kind, gvk.group, gvk.version)), JSON.stringify(schema));
  }
}

/** Quantity and IntOrString are strings in the spec but numbers are valid YAML for them. */
function kubernetesQuirks(name: string, schema: Schema): Schema {
  if (name.endsWith('.api.resource.Quantity'))
    return { description: schema.description, oneOf: [{ type: 'string' }, { type: 'number' }] };
  if (schema.format === 'int-or-string')
    return { description: schema.description, oneOf: [{ type: 'string' }, { type: 'integer' }] };
  return schema;
}

/** Every version of every CRD in a YAML file: its openAPIV3Schema, strict. */
function writeCrdSchemas(text: string, outDir: string): void {
  for (const doc of parseAllDocuments(text)) {
    const crd = doc.toJS() as {
      kind?: string;
      spec?: {
        group: string;
        names: { kind: string };
        versions: Array<{ name: string; schema?: { openAPIV3Schema: Schema } }>;
      };
    } | null;
    if (crd?.kind !== 'CustomResourceDefinition' || !crd.spec) continue;
    for (const version of crd.spec.versions) {
      if (!version.schema) continue;
      const schema = strict(version.schema.openAPIV3Schema);
      writeFileSync(
        join(outDir, schemaFileName(crd.spec.names.kind, crd.spec.group, version.name)),
        JSON.stringify(schema),
      );
    }
  }
}

/**
 * additionalProperties: false on every object schema that lists its properties and does not keep
 * unknown fields (x-kubernetes-preserve-unknown-fields); x-kubernetes-int-or-string as oneOf.
 */
function strict(schema: Schema): Schema {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const s = node as Schema;
    const out: Schema = {};
    for (const [key, value] of Object.entries(s)) {
      if (key === 'properties' || key === 'definitions' || key === 'patternProperties')
        out[key] = Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, walk(v)]));
      else if (['items', 'additionalProperties', 'not', 'allOf', 'anyOf', 'oneOf'].includes(key))
        out[key] = walk(value);
      else out[key] = value;
    }
    if (s['x-kubernetes-int-or-string'] === true) {
      delete out.type;
      out.oneOf = [{ type: 'string' }, { type: 'integer' }];
    }
    if (
      s.properties !== undefined &&
      s.additionalProperties === undefined &&
      s['x-kubernetes-preserve-unknown-fields'] !== true
    )
      out.additionalProperties = false;
    return out;
  };
  return walk(schema) as Schema;
}

/**
 * Strimzi's Kafka, KafkaNodePool, KafkaTopic and KafkaUser CRDs, written by Strimzi's crd-generator from its API model
 * (both from Maven Central). Strimzi 1.x is built for Java 21.
 */
async function strimziCrds(dir: string): Promise<string[]> {
  const models = {
    kafka: 'io.strimzi.api.kafka.model.kafka.Kafka',
    kafkanodepool: 'io.strimzi.api.kafka.model.nodepool.KafkaNodePool',
    kafkatopic: 'io.strimzi.api.kafka.model.topic.KafkaTopic',
    kafkauser: 'io.strimzi.api.kafka.model.user.KafkaUser',
  };
  const files = Object.keys(models).map((name) => join(dir, `${name}.yaml`));
  await cached(join(dir, '.complete'), async () => {
    mkdirSync(dir, { recursive: true });
    const version = DEPLOY_VERSIONS.strimzi;
    writeFileSync(
      join(dir, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>dev.sluice.deploy</groupId><artifactId>strimzi-crds</artifactId><version>${version}</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.strimzi</groupId><artifactId>crd-generator</artifactId><version>${version}</version></dependency>
    <dependency><groupId>io.strimzi</groupId><artifactId>api</artifactId><version>${version}</version></dependency>
  </dependencies>
</project>
`,
    );
    await runOrThrow('mvn', [
      '-B',
      '-q',
      '-f',
      join(dir, 'pom.xml'),
      'dependency:copy-dependencies',
      `-DoutputDirectory=${join(dir, 'lib')}`,
      '-DincludeScope=runtime',
    ]);
    const java = await java21();
    await runOrThrow(java, [
      '-cp',
      join(dir, 'lib', '*'),
      'io.strimzi.crdgenerator.CrdGenerator',
      '--yaml',
      '--crd-api-version',
      'v1',
      ...Object.entries(models).map(([name, model]) => `${model}=${join(dir, `${name}.yaml`)}`),
    ]);
    writeFileSync(join(dir, '.complete'), `${new Date().toISOString()}\n`);
  });
  return files;
}

/** A Java of version 21 or later: JAVA_HOME, `java` on PATH, or one under /usr/lib/jvm. */
async function java21(): Promise<string> {
  const candidates = [
    ...(envString('JAVA_HOME', '') ? [join(envString('JAVA_HOME', ''), 'bin', 'java')] : []),
    'java',
    ...(existsSync('/usr/lib/jvm')
      ? readdirSync('/usr/lib/jvm').map((d) => join('/usr/lib/jvm', d, 'bin', 'java'))
      : []),
  ];
  for (const java of candidates) {
    const result = await run(java, ['-version']).catch(() => undefined);
    const major = Number(/version "(\d+)/.exec(result?.stderr ?? '')?.[1] ?? 0);
    if (major >= 21) return java;
  }
  throw new Error(
    `Strimzi ${DEPLOY_VERSIONS.strimzi}'s CRD generator needs Java 21 or later (none found in JAVA_HOME, PATH or /usr/lib/jvm)`,
  );
}
