// The Helm chart on every CI run: `helm lint`, `helm template` for the default and the all-features
// values, every rendered object validated by kubeconform against Kubernetes' and the CRDs' schemas
// (generated offline, strict: a misspelled field fails), and every topic the configured apps and
// the sample configurations use has a KafkaTopic.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { declareConfigFileTopics, TopicPlan } from '@sluice/topic-plan';
import { parse } from 'yaml';
import { appDeployments, type K8sObject, mountConfigMaps, ofKind, parseManifests } from './chart-manifests';
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

  describe('source-webhook', () => {
    type Container = {
      ports: Array<{ name: string; containerPort: number }>;
      readinessProbe: { httpGet: { path: string; port: string } };
      livenessProbe: { httpGet: { path: string; port: string } };
      startupProbe: { httpGet: { path: string; port: string } };
    };
    type IngressSpec = {
      ingressClassName?: string;
      tls?: Array<{ secretName: string; hosts?: string[] }>;
      rules: Array<{
        host?: string;
        http: {
          paths: Array<{
            path: string;
            pathType: string;
            backend: { service: { name: string; port: { name?: string; number?: number } } };
          }>;
        };
      }>;
    };
    const named = (objects: readonly K8sObject[], kind: string) =>
      ofKind(objects, kind).find((o) => o.metadata.name === 'sluice-source-webhook');
    const endpointPaths = (objects: readonly K8sObject[]) => {
      const cm = ofKind(objects, 'ConfigMap').find(
        (o) => o.metadata.name === 'sluice-source-webhook-config',
      )!;
      const parsed = parse(cm.data!['config.yaml']!) as {
        endpoints: Array<{ path: string }>;
        http: { port: number };
      };
      return { paths: parsed.endpoints.map((e) => e.path), port: parsed.http.port };
    };

    it('is off by default; enabled, it is a Deployment of 2 replicas rolled one at a time, with a PDB, behind a Service on 8105 and no Ingress', async () => {
      assert.equal(named(parseManifests(rendered.get('default')!), 'Deployment'), undefined);
      const objects = parseManifests(await renderChart([], ['apps.source-webhook.enabled=true']));
      const deployment = named(objects, 'Deployment')!;
      const spec = deployment.spec as {
        replicas: number;
        strategy: { type: string; rollingUpdate: { maxUnavailable: number } };
        template: { spec: { containers: Container[] } };
      };
      assert.equal(spec.replicas, 2);
      assert.equal(spec.strategy.type, 'RollingUpdate');
      assert.equal(spec.strategy.rollingUpdate.maxUnavailable, 0);
      const container = spec.template.spec.containers[0]!;
      const [app] = appDeployments([deployment]);
      assert.equal(app!.app, 'source-webhook');
      assert.deepEqual(app!.probes, {
        startup: '/health/live',
        liveness: '/health/live',
        readiness: '/health/ready',
      });
      for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe])
        assert.equal(probe.httpGet.port, 'http');
      assert.deepEqual(container.ports, [{ name: 'http', containerPort: 8105, protocol: 'TCP' }]);
      const service = named(objects, 'Service')!.spec as {
        ports: Array<{ name: string; port: number; targetPort: string }>;
      };
      assert.deepEqual(
        service.ports.map((p) => [p.name, p.port, p.targetPort]),
        [['http', 8105, 'http']],
      );
      assert.equal(endpointPaths(objects).port, 8105, 'the app listens where the Service and probes point');
      assert.deepEqual(
        (named(objects, 'PodDisruptionBudget')!.spec as { minAvailable: number }).minAvailable,
        1,
      );
      assert.equal(named(objects, 'Ingress'), undefined, 'no Ingress unless ingress.enabled');
    });

    it("the Ingress routes exactly the endpoints' paths to the Service's http port, with the host, TLS secret and class asked for", () => {
      const objects = parseManifests(rendered.get('all-features')!);
      const ingress = named(objects, 'Ingress')!;
      const spec = ingress.spec as IngressSpec;
      assert.equal(spec.ingressClassName, 'nginx');
      assert.deepEqual(spec.tls, [
        { secretName: 'webhooks-example-com-tls', hosts: ['webhooks.example.com'] },
      ]);
      assert.equal(spec.rules.length, 1);
      assert.equal(spec.rules[0]!.host, 'webhooks.example.com');
      const { paths } = endpointPaths(objects);
      assert.deepEqual(
        spec.rules[0]!.http.paths.map((p) => [p.path, p.pathType]),
        paths.map((p) => [p, 'Exact']),
        'only the webhook paths: /status, /metrics, the management API stay inside',
      );
      const service = named(objects, 'Service')!;
      const servicePorts = (service.spec as { ports: Array<{ name: string }> }).ports.map((p) => p.name);
      for (const p of spec.rules[0]!.http.paths) {
        assert.equal(p.backend.service.name, service.metadata.name);
        assert.ok(servicePorts.includes(p.backend.service.port.name!), 'the backend port is a Service port');
      }
      assert.equal(
        (ingress.metadata as { annotations?: Record<string, string> }).annotations?.[
          'cert-manager.io/cluster-issuer'
        ],
        'letsencrypt',
      );
      assert.equal((named(objects, 'Deployment')!.spec as { replicas: number }).replicas, 3);
    });

    it('its NetworkPolicy also admits networkPolicy.sourceWebhookIngressFrom (the ingress controller), no other app does', () => {
      const objects = parseManifests(rendered.get('all-features')!);
      const peers = (o: K8sObject) =>
        JSON.stringify((o.spec as { ingress: Array<{ from: unknown[] }> }).ingress.flatMap((r) => r.from));
      for (const policy of ofKind(objects, 'NetworkPolicy'))
        assert.equal(
          peers(policy).includes('ingress-nginx'),
          policy.metadata.name === 'sluice-source-webhook',
          policy.metadata.name,
        );
    });

    it('refuses an Ingress without endpoints to route, and a misspelled ingress value', async () => {
      const helm = await helmBinary();
      const base = ['template', 'sluice', CHART, '--kube-version', DEPLOY_VERSIONS.kubernetes];
      const empty = await run(helm, [
        ...base,
        '--set',
        'apps.source-webhook.enabled=true,apps.source-webhook.ingress.enabled=true',
        '--set-json',
        'apps.source-webhook.config.endpoints=[]',
      ]);
      assert.notEqual(empty.code, 0);
      assert.match(
        empty.stderr,
        /apps\.source-webhook\.ingress: the Ingress routes config\.endpoints\[\]\.path/,
      );
      const typo = await run(helm, [...base, '--set', 'apps.source-webhook.ingress.tls=x']);
      assert.notEqual(typo.code, 0);
      assert.match(
        typo.stderr,
        /at '\/apps\/source-webhook\/ingress': additional properties 'tls' not allowed/,
      );
    });
  });

  describe('source-http-poll', () => {
    const named = (objects: readonly K8sObject[], kind: string) =>
      ofKind(objects, kind).find((o) => o.metadata.name === 'sluice-source-http-poll');

    it('is off by default; enabled, it is one replica stopped before its successor starts (even asked for 3), behind a Service on 8106', async () => {
      assert.equal(named(parseManifests(rendered.get('default')!), 'Deployment'), undefined);
      const objects = parseManifests(
        await renderChart([], ['apps.source-http-poll.enabled=true', 'apps.source-http-poll.replicas=3']),
      );
      const deployment = named(objects, 'Deployment')!;
      const spec = deployment.spec as {
        replicas: number;
        strategy: { type: string; rollingUpdate?: unknown };
        template: { spec: { containers: Array<{ ports: unknown[] }> } };
      };
      assert.equal(spec.replicas, 1, 'one transactional id per source name: a second pod would fence it');
      assert.deepEqual(spec.strategy, { type: 'Recreate' });
      const [app] = appDeployments([deployment]);
      assert.equal(app!.app, 'source-http-poll');
      assert.equal(app!.port, 8106);
      assert.deepEqual(spec.template.spec.containers[0]!.ports, [
        { name: 'http', containerPort: 8106, protocol: 'TCP' },
      ]);
      const service = named(objects, 'Service')!.spec as {
        ports: Array<{ name: string; port: number; targetPort: string }>;
      };
      assert.deepEqual(
        service.ports.map((p) => [p.name, p.port, p.targetPort]),
        [['http', 8106, 'http']],
      );
      const cm = ofKind(objects, 'ConfigMap').find(
        (o) => o.metadata.name === 'sluice-source-http-poll-config',
      )!;
      const config = parse(cm.data!['config.yaml']!) as {
        http: { port: number };
        streams: Array<{ name: string; topic: string }>;
      };
      assert.equal(config.http.port, 8106);
      assert.deepEqual(
        config.streams.map((s) => [s.name, s.topic]),
        [['customers', 'api.customers']],
      );
      assert.deepEqual(
        (named(objects, 'PodDisruptionBudget')!.spec as { maxUnavailable: number }).maxUnavailable,
        1,
      );
    });

    it("its NetworkPolicy's egress adds networkPolicy.sourceHttpPollEgress (HTTPS to the polled APIs)", async () => {
      const egress = (o: K8sObject | undefined) => JSON.stringify((o!.spec as { egress: unknown[] }).egress);
      const objects = parseManifests(rendered.get('all-features')!);
      assert.ok(egress(named(objects, 'NetworkPolicy')).includes('{"port":443,"protocol":"TCP"}'));
      const narrowed = parseManifests(
        await renderChart([ALL_FEATURES], ['networkPolicy.sourceHttpPollEgress[0].ports[0].port=8443']),
      );
      assert.ok(egress(named(narrowed, 'NetworkPolicy')).includes('8443'));
      const transformer = ofKind(narrowed, 'NetworkPolicy').find((o) =>
        o.metadata.name.endsWith('-transformer'),
      );
      assert.ok(!egress(transformer).includes('8443'), 'only source-http-poll gets it');
    });
  });

  describe('schema registry NetworkPolicy', () => {
    const peers = (o: K8sObject) =>
      (o.spec as { ingress: Array<{ from: unknown[] }> }).ingress.flatMap((r) => r.from);

    it("is on by default (the registry's only policy then), admitting only the release's pods", () => {
      const policies = ofKind(parseManifests(rendered.get('default')!), 'NetworkPolicy');
      assert.deepEqual(
        policies.map((p) => p.metadata.name),
        ['sluice-schema-registry'],
      );
      const spec = policies[0]!.spec as { podSelector: { matchLabels: Record<string, string> } };
      assert.equal(spec.podSelector.matchLabels['app.kubernetes.io/component'], 'schema-registry');
      assert.deepEqual(peers(policies[0]!), [
        {
          podSelector: {
            matchLabels: { 'app.kubernetes.io/name': 'sluice', 'app.kubernetes.io/instance': 'sluice' },
          },
        },
      ]);
    });

    it('admits networkPolicy.schemaRegistry.ingressFrom, and is off with schemaRegistry.enabled=false', async () => {
      const extra = await renderChart(
        [],
        ['networkPolicy.schemaRegistry.ingressFrom[0].namespaceSelector.matchLabels.team=producers'],
      );
      const [policy] = ofKind(parseManifests(extra), 'NetworkPolicy');
      assert.ok(JSON.stringify(peers(policy!)).includes('producers'));
      const off = await renderChart([], ['networkPolicy.schemaRegistry.enabled=false']);
      assert.deepEqual(ofKind(parseManifests(off), 'NetworkPolicy'), []);
    });
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
