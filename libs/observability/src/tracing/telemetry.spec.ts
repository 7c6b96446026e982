import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { MessageTracing } from './message-tracing';
import { startTelemetry, tracingActive } from './telemetry';
import { tracingConfigSchema } from './tracing-config';

describe('telemetry start-up', () => {
  it('OTEL_SDK_DISABLED=true or enabled: false starts nothing', () => {
    startTelemetry({
      service: 's',
      config: tracingConfigSchema.parse({}),
      env: { OTEL_SDK_DISABLED: 'true' },
    });
    assert.equal(tracingActive(), false);
    startTelemetry({ service: 's', config: tracingConfigSchema.parse({ enabled: false }), env: {} });
    assert.equal(tracingActive(), false);
  });

  it('honours OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, names the service and namespace', async () => {
    // The SDK itself reads OTEL_RESOURCE_ATTRIBUTES from the process environment.
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment.name=spec';
    const exporter = new InMemorySpanExporter();
    const telemetry = startTelemetry({
      service: 'transformer',
      version: '9.9.9',
      config: tracingConfigSchema.parse({ samplingRatio: 1 }),
      env: { OTEL_SERVICE_NAME: 'orders-transformer' },
      exporter,
      exportImmediately: true,
    });
    assert.equal(tracingActive(), true);
    new MessageTracing('spec').root('capture source', () => ({})).end();
    for (let i = 0; i < 200 && exporter.getFinishedSpans().length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const [span] = exporter.getFinishedSpans();
    const attributes = span!.resource.attributes;
    assert.equal(attributes['service.name'], 'orders-transformer');
    assert.equal(attributes['service.namespace'], 'sluice');
    assert.equal(attributes['service.version'], '9.9.9');
    assert.equal(attributes['deployment.environment.name'], 'spec');
    await telemetry.shutdown();
    assert.equal(tracingActive(), false);
  });

  it('an OTEL_* setting it does not read itself (OTEL_TRACES_SAMPLER) starts the Node SDK, which honours it', async () => {
    const roots = async (env: Record<string, string>) => {
      const exporter = new InMemorySpanExporter();
      Object.assign(process.env, env);
      const telemetry = startTelemetry({
        service: 'transformer',
        config: tracingConfigSchema.parse({}),
        env,
        exporter,
        exportImmediately: true,
      });
      try {
        for (let i = 0; i < 20; i++) new MessageTracing('spec').root('capture source', () => ({})).end();
        await new Promise((resolve) => setTimeout(resolve, 50));
        return exporter.getFinishedSpans().length;
      } finally {
        await telemetry.shutdown();
        for (const name of Object.keys(env)) delete process.env[name];
      }
    };
    // Without it, one new trace in ten: all 20 sampled has a chance of 1e-20.
    assert.ok((await roots({})) < 20);
    assert.equal(await roots({ OTEL_TRACES_SAMPLER: 'always_on' }), 20);
  });
});
