// The Helm chart on every CI run: `helm lint`, `helm template` for the default and the all-features
// values, every rendered object validated by kubeconform against Kubernetes' and the CRDs' schemas
// (generated offline, strict: a misspelled field fails), and every topic the configured apps and
// the sample configurations use has a KafkaTopic.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { declareConfigFileTopics, TopicPlan } from '@sluice/topic-plan';
import { type K8sObject, mountConfigMaps, ofKind, parseManifests } from './chart-manifests';
import {
  DEPLOY_VERSIONS,
  helmBinary,
  kubeconformBinary,
  PROJECT_ROOT,
  renderChart,
  run,
} from './deploy-toolchain';
import { ensureKubeSchemas, kubeSchemaLocation } from './kube-schemas';

const CHART = join(PROJECT_ROOT, 'deploy', 'helm', 'sluice');
const ALL_FEATURES = join(CHART, 'ci', 'all-features-values.yaml');
const KIND_VALUES = join(PROJECT_ROOT, 'deploy', 'k8s', 'values-kind.yaml');
const VALUES = [
  { name: 'default', files: [] as string[] },
  { name: 'all-features', files: [ALL_FEATURES] },
  { name: 'kind example', files: [KIND_VALUES] },
];

/** kubeconform over manifests on stdin, strict, with only the generated schemas (no network). */
async function kubeconform(manifests: string) {
  const result = await run(
    await kubeconformBinary(),
    [
      '-strict',
      '-summary',
      '-output',
      'json',
      '-kubernetes-version',
      DEPLOY_VERSIONS.kubernetes,
      '-schema-location',
      kubeSchemaLocation(),
      '-',
    ],
    { input: manifests },
  );
  const report = JSON.parse(result.stdout) as {
    resources: Array<{ kind: string; name: string; status: string; msg: string }>;
    summary: { valid: number; invalid: number; errors: number; skipped: number };
  };
  return { code: result.code, ...report };
}

/** The topic names of the rendered KafkaTopics. */
function kafkaTopicNames(objects: readonly K8sObject[]): Set<string> {
  return new Set(ofKind(objects, 'KafkaTopic').map((t) => (t.spec as { topicName: string }).topicName));
}

describe('Helm chart deploy/helm/sluice', { timeout: 20 * 60_000 }, () => {
  const rendered = new Map<string, string>();

  before(async () => {
    // First run on a machine: builds Helm and kubeconform and generates the schemas (minutes).
    await Promise.all([helmBinary(), kubeconformBinary(), ensureKubeSchemas()]);
    for (const v of VALUES) rendered.set(v.name, await renderChart(v.files));
  });

  for (const v of VALUES) {
    it(`helm lint --strict passes with the ${v.name} values`, async () => {
      const result = await run(await helmBinary(), [
        'lint',
        CHART,
        '--strict',
        '--kube-version',
        DEPLOY_VERSIONS.kubernetes,
        ...v.files.flatMap((f) => ['-f', f]),
      ]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
    });

    it(`every object rendered with the ${v.name} values is valid for its schema`, async () => {
      const report = await kubeconform(rendered.get(v.name)!);
      const bad = report.resources.filter((r) => r.status !== 'statusValid');
      assert.deepEqual(bad, [], JSON.stringify(bad, null, 2));
      assert.equal(report.code, 0);
      assert.equal(report.summary.skipped, 0);
      assert.equal(report.summary.valid, parseManifests(rendered.get(v.name)!).length);
    });

    it(`every topic the apps configured by the ${v.name} values use has a KafkaTopic`, () => {
      const objects = parseManifests(rendered.get(v.name)!);
      const plan = new TopicPlan({ partitions: 1, replicationFactor: 1 });
      for (const [name, dir] of mountConfigMaps(objects))
        if (!name.endsWith('-schema-registry-config'))
          declareConfigFileTopics(plan, join(dir, 'config.yaml'));
      assert.deepEqual(plan.notes(), [], 'every topic can be derived from the configured apps');
      const declared = kafkaTopicNames(objects);
      const missing = plan.topics().filter((t) => !declared.has(t.name));
      assert.deepEqual(
        missing.map((t) => `${t.name} (${t.origins.join('; ')})`),
        [],
        'topics without a KafkaTopic',
      );
      assert.ok(plan.topics().length >= 3);
    });
  }

  it('the kind example declares every topic of the sample configurations in examples/', async () => {
    const plan = new TopicPlan({ partitions: 1, replicationFactor: 1 });
    const examples = join(PROJECT_ROOT, 'examples');
    for (const file of readdirSync(examples).filter((f) => f.endsWith('.yaml')))
      declareConfigFileTopics(plan, join(examples, file), {
        knownTables: ['public.orders', 'public.customers'],
      });
    const declared = kafkaTopicNames(parseManifests(rendered.get('kind example')!));
    const missing = plan.topics().filter((t) => !declared.has(t.name));
    assert.deepEqual(
      missing.map((t) => `${t.name} (${t.origins.join('; ')})`),
      [],
    );
  });

  it('the example manifests of deploy/k8s are valid, and sluice.yaml is the current render of values-kind.yaml', async () => {
    const dir = join(PROJECT_ROOT, 'deploy', 'k8s');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'values-kind.yaml');
    assert.ok(files.includes('sluice.yaml') && files.includes('kafka.yaml'), files.join(', '));
    const all = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n---\n');
    const report = await kubeconform(all);
    const bad = report.resources.filter((r) => r.status !== 'statusValid');
    assert.deepEqual(bad, [], JSON.stringify(bad, null, 2));
    const checkedIn = readFileSync(join(dir, 'sluice.yaml'), 'utf8').replace(/^(#.*\n)+/, '');
    assert.equal(
      checkedIn,
      rendered.get('kind example'),
      'deploy/k8s/sluice.yaml is stale: regenerate it as deploy/k8s/README.md says',
    );
  });

  it('caps autoscaling at the partitions of the consumer group inputs', () => {
    const objects = parseManifests(rendered.get('all-features')!);
    const transformer = ofKind(objects, 'ScaledObject').find((o) =>
      o.metadata.name.endsWith('-transformer'),
    )!;
    // maxReplicas 20 asked, sluice.public.orders has 6 partitions.
    assert.equal((transformer.spec as { maxReplicaCount: number }).maxReplicaCount, 6);
  });

  it('runs the source as one replica that is stopped before its successor starts', () => {
    const objects = parseManifests(rendered.get('all-features')!);
    const source = ofKind(objects, 'Deployment').find((o) => o.metadata.name.endsWith('-source-postgres'))!;
    const spec = source.spec as { replicas: number; strategy: { type: string } };
    assert.equal(spec.replicas, 1);
    assert.equal(spec.strategy.type, 'Recreate');
  });

  describe('kubeconform catches a misspelled field', () => {
    const cases = [
      { kind: 'a Deployment', from: 'terminationGracePeriodSeconds:', to: 'terminationGracePeriodSecond:' },
      { kind: 'a KafkaTopic (Strimzi CRD)', from: '  partitions: 6', to: '  partition: 6' },
      { kind: 'a ScaledObject (KEDA CRD)', from: 'maxReplicaCount:', to: 'maxReplicasCount:' },
      { kind: 'a ServiceMonitor (Prometheus Operator CRD)', from: 'scrapeTimeout:', to: 'scrapeTimout:' },
    ];
    for (const c of cases)
      it(`in ${c.kind}`, async () => {
        const manifests = rendered.get('all-features')!;
        assert.ok(manifests.includes(c.from), `the rendered chart has ${c.from}`);
        const report = await kubeconform(manifests.replace(c.from, c.to));
        assert.notEqual(report.code, 0);
        const invalid = report.resources.filter((r) => r.status === 'statusInvalid');
        assert.equal(invalid.length, 1, JSON.stringify(invalid));
        const field = c.to.trim().split(':')[0]!;
        assert.match(invalid[0]!.msg, new RegExp(`additional properties '${field}' not allowed`));
      });
  });

  it('refuses a misspelled value, naming it (values.schema.json)', async () => {
    const result = await run(await helmBinary(), [
      'template',
      'sluice',
      CHART,
      '--kube-version',
      DEPLOY_VERSIONS.kubernetes,
      '--set',
      'apps.transformer.autoscalling.enabled=true',
    ]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /at '\/apps\/transformer': additional properties 'autoscalling' not allowed/);
  });

  it('refuses an autoscaled consumer whose input topic is not in topics:', async () => {
    const result = await run(await helmBinary(), [
      'template',
      'sluice',
      CHART,
      '--kube-version',
      DEPLOY_VERSIONS.kubernetes,
      '--set',
      'apps.transformer.autoscaling.enabled=true',
      '--set',
      'apps.transformer.pipeline.from.topics[0]=not.listed',
    ]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /topic not\.listed \(an input of transformer\) is not in `topics:`/);
  });
});
