import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, openSync, closeSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '@sluice/errors';

const MODULE = 'github.com/jaegertracing/jaeger';

/**
 * The Jaeger v2 binary, built once from source with the machine's Go toolchain (modules from the Go
 * module proxy) into the machine-wide cache. Jaeger v2 ships as Go module versions v1.6x+ (the
 * `cmd/jaeger` command is v2); `go install` refuses it (its go.mod has replace directives), so the
 * module is downloaded and built in a copy of its folder. Takes minutes the first time.
 */
export class JaegerBinary {
  constructor(
    private readonly cacheDir: string,
    /** Go module version, e.g. 1.76.0 (= Jaeger v2.13). */
    private readonly version: string,
  ) {}

  get path(): string {
    return join(this.cacheDir, `jaeger-${this.version}`, 'bin', 'jaeger');
  }

  get buildLog(): string {
    return join(this.cacheDir, `jaeger-${this.version}`, 'build.log');
  }

  async ensure(log: (line: string) => void): Promise<string> {
    if (existsSync(this.path)) return this.path;
    const home = join(this.cacheDir, `jaeger-${this.version}`);
    mkdirSync(join(home, 'bin'), { recursive: true });
    log(`building Jaeger (Go module ${MODULE} v${this.version}) into ${home} (once; takes minutes)`);
    const env = { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local' };
    const download = await this.run(
      'go',
      ['mod', 'download', '-json', `${MODULE}@v${this.version}`],
      home,
      env,
    );
    const dir = /"Dir":\s*"([^"]+)"/.exec(download)?.[1];
    if (dir === undefined) throw this.failed('go mod download named no module folder');
    const src = join(home, 'src');
    rmSync(src, { recursive: true, force: true });
    cpSync(dir, src, { recursive: true });
    // The module cache is read-only; the copy must be writable to build in and to remove.
    await this.run('chmod', ['-R', 'u+w', src], home, env);
    const partial = `${this.path}.partial`;
    await this.run(
      'go',
      ['build', '-trimpath', '-ldflags', '-s -w', '-o', partial, './cmd/jaeger'],
      src,
      env,
    );
    renameSync(partial, this.path);
    rmSync(src, { recursive: true, force: true });
    log(`Jaeger built: ${this.path}`);
    return this.path;
  }

  private run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
    return new Promise((resolve, reject) => {
      const logFd = openSync(this.buildLog, 'a');
      let stdout = '';
      const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', logFd] });
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.once('error', (error: NodeJS.ErrnoException) => {
        closeSync(logFd);
        reject(
          error.code === 'ENOENT'
            ? this.failed(`'${command}' is not installed (the Go toolchain builds Jaeger; install Go 1.24+)`)
            : this.failed(error.message),
        );
      });
      child.once('exit', (code) => {
        closeSync(logFd);
        if (code === 0) resolve(stdout);
        else reject(this.failed(`${command} ${args.join(' ')} exited with ${code}`));
      });
    });
  }

  private failed(reason: string): EnvironmentError {
    return new EnvironmentError(`building Jaeger failed: ${reason}; see ${this.buildLog}`, {
      code: 'JAEGER_BUILD_FAILED',
    });
  }
}
