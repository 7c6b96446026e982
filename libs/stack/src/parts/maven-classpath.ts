import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '@sluice/errors';
import { requireMaven } from './java-toolchain';

/** A Maven artifact by its coordinates. */
export interface MavenArtifact {
  readonly groupId: string;
  readonly artifactId: string;
  readonly version: string;
}

/**
 * A Java program's runtime classpath made of released artifacts on Maven Central and their
 * runtime dependencies, copied once (`mvn dependency:copy-dependencies` on a generated POM) into
 * `<cacheDir>/<folder>/lib`, a cache shared by every clone on the machine. A `.complete` marker is
 * written last, so an interrupted fetch is redone rather than used half-way.
 */
export class MavenClasspath {
  constructor(
    private readonly cacheDir: string,
    /** The cache folder, e.g. `kafka-4.1.2`. */
    readonly folder: string,
    private readonly artifacts: readonly MavenArtifact[],
    /** What the jars are, for messages (`Apache Kafka 4.1.2`). */
    private readonly label: string,
    /** Added to a failed fetch's message, e.g. which setting chose the version. */
    private readonly hint = '',
  ) {}

  get dir(): string {
    return join(this.cacheDir, this.folder);
  }

  get libDir(): string {
    return join(this.dir, 'lib');
  }

  /** The classpath entry for `java -cp`: every jar of the folder. */
  get classpath(): string {
    return join(this.libDir, '*');
  }

  private get completeMarker(): string {
    return join(this.dir, '.complete');
  }

  isInstalled(): boolean {
    return existsSync(this.completeMarker);
  }

  /**
   * Fetches the jars unless the cache already holds them. Returns true when it downloaded. The
   * first artifact must be among the jars afterwards; when it is not (an unreleased version, no
   * network), an EnvironmentError names it with Maven's last lines.
   */
  ensureInstalled(log: (line: string) => void = () => undefined): boolean {
    if (this.isInstalled()) return false;
    const mvn = requireMaven();
    rmSync(this.libDir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    const pom = join(this.dir, 'pom.xml');
    writeFileSync(pom, runtimePom(this.folder, this.label, this.artifacts));
    log(`fetching ${this.label} from Maven Central into ${this.dir} (once)`);
    const result = spawnSync(
      mvn,
      [
        '-B',
        '-q',
        '-f',
        pom,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${this.libDir}`,
        '-DincludeScope=runtime',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const main = this.artifacts[0]!;
    const jars = existsSync(this.libDir) ? readdirSync(this.libDir).filter((f) => f.endsWith('.jar')) : [];
    if (result.status !== 0 || !jars.some((j) => j.startsWith(`${main.artifactId}-${main.version}`))) {
      const out = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ');
      throw new EnvironmentError(
        `could not fetch ${main.groupId}:${main.artifactId}:${main.version} with Maven (${this.label}${this.hint ? `; ${this.hint}` : ''}): ${out}`,
        { code: 'MAVEN_FETCH_FAILED' },
      );
    }
    writeFileSync(this.completeMarker, `${new Date().toISOString()}\n`);
    return true;
  }
}

function runtimePom(folder: string, label: string, artifacts: readonly MavenArtifact[]): string {
  const dependencies = artifacts
    .map(
      (a) =>
        `    <dependency><groupId>${a.groupId}</groupId><artifactId>${a.artifactId}</artifactId><version>${a.version}</version></dependency>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by Sluice: the runtime classpath of ${label}. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.sluice.stack</groupId>
  <artifactId>${folder.replace(/[^A-Za-z0-9_.-]/g, '-')}</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${dependencies}
  </dependencies>
</project>
`;
}
