// A transformer whose pipeline is a file of its own: the file's secrets — an enrich step's connection
// URL password, a mask step's HMAC key (from ${ENV}) — are kept out of the log like the app
// configuration's, although the logger is made before the connector reads the file (the connector
// definition's `secrets` hook). Started in-process, its log lines captured.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseConfig } from '@sluice/config';
import { type ConnectorDefinition, createConnectorApp } from '@sluice/connect';
import { transformerConnector } from '@sluice/pipeline';
import { freePort, stackAddresses } from '@sluice/test-support';

const MASK_KEY = 'It-Mask-Hmac-Key-8c1e5';
const ENRICH_PASSWORD = 'It-Enrich-Pw-3b7d';

describe('observability: a pipeline file’s secrets never logged', () => {
  it('an enrich URL password and a mask key from the pipeline file are redacted in every line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-pipeline-secrets-'));
    writeFileSync(
      join(dir, 'pipeline.yaml'),
      [
        'name: it-pipeline-secrets',
        'from: { topics: [it-pipeline-secrets.in] }',
        'to: it-pipeline-secrets.out',
        'steps:',
        '  - unwrap: {}',
        '  - enrich:',
        `      connection: postgres://lookup:${ENRICH_PASSWORD}@127.0.0.1:1/ref`,
        '      query: SELECT name FROM customers WHERE id = $1',
        '      params: [id]',
        '      fields: [{ column: name }]',
        '  - mask: { fields: [email], with: hash, key: "${IT_PIPELINE_MASK_KEY}" }',
        '',
      ].join('\n'),
    );
    process.env.IT_PIPELINE_MASK_KEY = MASK_KEY;
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    // The transformer as registered, its `create` first writing what an error path could: the
    // pipeline file's text and an error quoting the connection URL and the key.
    const leaky: ConnectorDefinition = {
      ...transformerConnector,
      create: (config, context) => {
        context.logger.info({ file: readFileSync(join(dir, 'pipeline.yaml'), 'utf8') }, 'pipeline file');
        context.logger.error(
          { err: new Error(`lookup via postgres://lookup:${ENRICH_PASSWORD}@127.0.0.1:1/ref failed`) },
          `enrich failed (password ${ENRICH_PASSWORD}, mask key ${MASK_KEY})`,
        );
        return transformerConnector.create(config as never, context);
      },
    } as ConnectorDefinition;
    const config = parseConfig(
      transformerConnector.configSchema,
      {
        pipeline: 'pipeline.yaml',
        kafka: {
          brokers: stackAddresses().kafkaBrokers,
          clientId: 'it-pipeline-secrets',
          logLevel: 'nothing',
        },
        registry: { url: stackAddresses().registryUrl },
        http: { host: '127.0.0.1', port: await freePort() },
        logging: { level: 'debug' },
        tracing: { enabled: false },
      },
      { source: join(dir, 'transformer.yaml'), env: process.env },
    );
    const app = await createConnectorApp(leaky, config as never, {
      baseDir: dir,
      logDestination: destination,
    });
    // Closed once its start settled (the input topic does not exist: retrying), not mid-connect.
    for (let i = 0; i < 200; i++) {
      const { phase } = app.connector.status() as { phase?: string };
      if (phase === 'retrying' || phase === 'running' || phase === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await app.close();
    delete process.env.IT_PIPELINE_MASK_KEY;
    const output = lines.join('');
    assert.ok(lines.length >= 2, 'it logged');
    assert.match(output, /pipeline file/);
    for (const secret of [MASK_KEY, ENRICH_PASSWORD])
      assert.ok(!output.includes(secret), `${secret} appears in:\n${output}`);
    assert.match(output, /\[REDACTED\]/);
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `still JSON: ${line}`);
  });
});
