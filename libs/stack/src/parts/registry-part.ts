import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appProcessEnv } from '@sluice/config';
import { EnvironmentError } from '@sluice/errors';
import { type StackLayout } from '../stack-layout';
import { spawnDetached } from '../process-control';
import { SpawnedPart, type SpawnedPartListener } from './spawned-part';

/**
 * Sluice's own schema registry (apps/schema-registry, the Confluent REST API), run as its own
 * process from the compiled app with the stack's Postgres as storage.
 */
export class RegistryPart extends SpawnedPart {
  readonly name = 'registry';
  protected override readonly stopTimeoutMs = 15_000;

  constructor(layout: StackLayout) {
    super(layout, 'registry');
  }

  get address(): string {
    return `http://${this.layout.registry.host}:${this.layout.registry.port}`;
  }

  /** The compiled registry app; `npm run build` makes it. */
  get entryPoint(): string {
    return join(this.layout.projectRoot, 'dist', 'apps', 'schema-registry', 'src', 'main.js');
  }

  protected get listener(): SpawnedPartListener {
    const { host, port } = this.layout.registry;
    return { host, port, label: 'schema registry', portVariable: 'SLUICE_REGISTRY_PORT' };
  }

  protected launch(): void {
    if (!existsSync(this.entryPoint)) {
      throw new EnvironmentError(
        `the schema registry is not built (${this.entryPoint} is missing); run npm run build`,
        { code: 'NOT_BUILT' },
      );
    }
    mkdirSync(this.dir, { recursive: true });
    const configFile = join(this.dir, 'registry.yaml');
    writeFileSync(configFile, this.configYaml());
    spawnDetached(process.execPath, [this.entryPoint], {
      logFile: this.logFile,
      pidFile: this.pidFile,
      cwd: this.layout.projectRoot,
      env: appProcessEnv({ ...process.env, SLUICE_CONFIG: configFile }),
    });
  }

  /** The registry answers when `GET /subjects` is 200. */
  async probe(): Promise<{ ok: boolean; detail?: string }> {
    const response = await fetch(`${this.address}/subjects`, { signal: AbortSignal.timeout(2000) });
    const body = response.ok ? ((await response.json()) as unknown[]) : [];
    return {
      ok: response.ok,
      detail: response.ok ? `${body.length} subject(s)` : `GET /subjects answered ${response.status}`,
    };
  }

  private configYaml(): string {
    const { postgres, registry } = this.layout;
    return `# Written by sluice stack on every start.
http:
  host: ${registry.host}
  port: ${registry.port}
database:
  host: ${postgres.host}
  port: ${postgres.port}
  user: ${postgres.user}
  password: ${postgres.password}
  database: registry
`;
  }
}
