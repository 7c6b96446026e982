import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '@sluice/errors';
import { type StackLayout } from '../stack-layout';
import { spawnDetached } from '../process-control';
import { SpawnedPart, type SpawnedPartListener } from './spawned-part';

const BINARY = '/usr/bin/prometheus';

/**
 * Prometheus from Debian's package (installed with apt-get when missing), scraping every Sluice app
 * of the local stack every 5 s with the alert rules of deploy/grafana loaded. Data under the stack
 * home, one day of retention.
 */
export class PrometheusPart extends SpawnedPart {
  readonly name = 'prometheus';

  constructor(
    layout: StackLayout,
    private readonly log: (line: string) => void,
  ) {
    super(layout, 'prometheus');
  }

  get address(): string {
    return `http://${this.layout.prometheus.host}:${this.layout.prometheus.port}`;
  }

  /** The alert rules loaded with the scrape configuration (when the project has them). */
  get rulesFile(): string {
    return join(this.layout.projectRoot, 'deploy', 'grafana', 'alerts.yml');
  }

  protected get listener(): SpawnedPartListener {
    const { host, port } = this.layout.prometheus;
    return { host, port, label: 'Prometheus', portVariable: 'SLUICE_PROMETHEUS_PORT' };
  }

  protected launch(): void {
    const { host, port } = this.layout.prometheus;
    this.ensureInstalled();
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    const configFile = join(this.dir, 'prometheus.yml');
    writeFileSync(configFile, this.configYaml());
    spawnDetached(
      BINARY,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(this.dir, 'data')}`,
        '--storage.tsdb.retention.time=1d',
        `--web.listen-address=${host}:${port}`,
      ],
      { logFile: this.logFile, pidFile: this.pidFile },
    );
  }

  async probe(): Promise<{ ok: boolean; detail?: string }> {
    const response = await fetch(`${this.address}/-/ready`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return {
      ok: response.ok,
      detail: response.ok
        ? `scraping ${this.layout.prometheus.targets.length} app port(s)`
        : `GET /-/ready answered ${response.status}`,
    };
  }

  /**
   * Debian's package when the binary is missing (it brings promtool too); a clear error when it
   * cannot be installed.
   */
  ensureInstalled(): void {
    if (existsSync(BINARY)) return;
    this.log("installing Prometheus from Debian's package (apt-get install prometheus)");
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-qq'], { env, encoding: 'utf8' });
    const install =
      update.status === 0
        ? spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus'], {
            env,
            encoding: 'utf8',
          })
        : update;
    if (install.status !== 0 || !existsSync(BINARY)) {
      const why = (install.stderr || install.error?.message || 'apt-get failed').trim().split('\n').at(-1);
      throw new EnvironmentError(
        `Prometheus is not installed and apt-get could not install it (${why}); install Debian's ` +
          "'prometheus' package, or run 'sluice stack up --no-observability'",
        { code: 'PART_UNAVAILABLE' },
      );
    }
  }

  private configYaml(): string {
    const targets = this.layout.prometheus.targets.map((t) => `'${t}'`).join(', ');
    const rules = existsSync(this.rulesFile) ? `rule_files:\n  - ${this.rulesFile}\n` : '';
    return `# Written by sluice stack on every start: every Sluice app's /metrics.
global:
  scrape_interval: 5s
  evaluation_interval: 15s
${rules}scrape_configs:
  - job_name: sluice
    metrics_path: /metrics
    static_configs:
      - targets: [${targets}]
`;
  }
}
