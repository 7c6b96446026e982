// The tools that validate the deployment assets, built once from the Go module proxy into the
// machine-wide cache (SLUICE_CACHE_DIR, like the stack's Kafka and Jaeger) and reused: Helm,
// kubeconform and a Dockerfile linter on BuildKit's parser. Nothing is downloaded at test time once
// the cache holds them.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { envString } from '@sluice/config';

/** Pinned versions: the tools, and the sources of the schemas kubeconform validates against. */
export const DEPLOY_VERSIONS = {
  helm: 'v3.22.0',
  kubeconform: 'v0.8.0',
  /** k8s.io/kubernetes module: its api/openapi-spec/swagger.json. */
  kubernetes: '1.36.3',
  /** github.com/kedacore/keda/v2 module: config/crd/bases. */
  keda: 'v2.21.0',
  /** github.com/prometheus-operator/prometheus-operator module: example/prometheus-operator-crd. */
  prometheusOperator: 'v0.85.0',
  /** io.strimzi:api + io.strimzi:crd-generator on Maven Central. */
  strimzi: '1.2.0',
} as const;

export const PROJECT_ROOT = join(__dirname, '..', '..', '..');

export function deployToolsDir(): string {
  return join(envString('SLUICE_CACHE_DIR', join(homedir(), '.cache', 'sluice')), 'deploy-tools');
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, capturing its output (never throws on a non-zero exit). */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    // A command that exits without reading its input (a refusal at start) closes the pipe under
    // the write: EPIPE says nothing the exit code and output do not.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.stdin.end(options.input ?? '');
  });
}

export async function runOrThrow(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.code}: ${result.stderr || result.stdout}`);
  return result.stdout;
}

/** Go's environment for reproducible module builds with the machine's toolchain. */
export function goEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', ...extra };
}

/**
 * Runs `build` unless `target` exists, one builder at a time across test processes (a lock
 * directory; a lock older than 20 minutes is taken as abandoned).
 */
export async function cached(target: string, build: () => Promise<void>): Promise<string> {
  if (existsSync(target)) return target;
  const lock = `${target}.lock`;
  mkdirSync(join(target, '..'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(target)) return target;
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 20 * 60_000)
        rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    if (!existsSync(target)) await build();
    return target;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** `go install <module>/<cmd>@<version>` into its own cache folder; returns the binary. */
async function goInstall(name: string, pkg: string, version: string): Promise<string> {
  const dir = join(deployToolsDir(), `${name}-${version}`);
  return cached(join(dir, name), async () => {
    const partial = join(dir, 'partial');
    rmSync(partial, { recursive: true, force: true });
    await runOrThrow('go', ['install', `${pkg}@${version}`], { env: goEnv({ GOBIN: partial }) });
    renameSync(join(partial, name), join(dir, name));
    rmSync(partial, { recursive: true, force: true });
  });
}

export function helmBinary(): Promise<string> {
  return goInstall('helm', 'helm.sh/helm/v3/cmd/helm', DEPLOY_VERSIONS.helm);
}

export function kubeconformBinary(): Promise<string> {
  return goInstall(
    'kubeconform',
    'github.com/yannh/kubeconform/cmd/kubeconform',
    DEPLOY_VERSIONS.kubeconform,
  );
}

/** deploy/docker/dockerfile-lint (BuildKit's parser and linter), built from the repository's source. */
export function dockerfileLintBinary(): Promise<string> {
  const source = join(PROJECT_ROOT, 'deploy', 'docker', 'dockerfile-lint');
  const buildkit = /github\.com\/moby\/buildkit (v\S+)/.exec(
    readFileSync(join(source, 'go.mod'), 'utf8'),
  )?.[1];
  const dir = join(deployToolsDir(), `dockerfile-lint-buildkit-${buildkit ?? 'unknown'}`);
  return cached(join(dir, 'dockerfile-lint'), async () => {
    await runOrThrow('go', ['build', '-o', join(dir, 'dockerfile-lint.partial'), '.'], {
      cwd: source,
      env: goEnv(),
    });
    renameSync(join(dir, 'dockerfile-lint.partial'), join(dir, 'dockerfile-lint'));
  });
}

/** The chart, rendered with `helm template` (the Kubernetes version kubeconform validates against). */
export async function renderChart(
  valuesFiles: readonly string[] = [],
  set: readonly string[] = [],
): Promise<string> {
  const helm = await helmBinary();
  return runOrThrow(helm, [
    'template',
    'sluice',
    join(PROJECT_ROOT, 'deploy', 'helm', 'sluice'),
    '--namespace',
    'sluice',
    '--kube-version',
    DEPLOY_VERSIONS.kubernetes,
    ...valuesFiles.flatMap((f) => ['-f', f]),
    ...set.flatMap((s) => ['--set', s]),
  ]);
}
