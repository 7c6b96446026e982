import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '@sluice/errors';
import { requireMaven } from './java-toolchain';

/**
 * Apache Kafka's broker, as the official artifacts on Maven Central: `org.apache.kafka:kafka_2.13`
 * and its runtime dependencies, copied once into a cache folder shared by every clone. The POM does
 * not bring a logging binding, so log4j's SLF4J bridge is added (log4j-api/core come with Kafka).
 */
export class KafkaRuntime {
  constructor(
    private readonly cacheDir: string,
    readonly version: string,
  ) {}

  get libDir(): string {
    return join(this.cacheDir, `kafka-${this.version}`, 'lib');
  }

  get classpath(): string {
    return join(this.libDir, '*');
  }

  private get completeMarker(): string {
    return join(this.cacheDir, `kafka-${this.version}`, '.complete');
  }

  isInstalled(): boolean {
    return existsSync(this.completeMarker);
  }

  /** Fetches the jars unless the cache already holds them. Returns true when it downloaded. */
  ensureInstalled(log: (line: string) => void = () => undefined): boolean {
    if (this.isInstalled()) return false;
    const mvn = requireMaven();
    const dir = join(this.cacheDir, `kafka-${this.version}`);
    rmSync(this.libDir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'pom.xml'), runtimePom(this.version));
    log(`fetching Apache Kafka ${this.version} from Maven Central into ${dir} (once)`);
    const result = spawnSync(
      mvn,
      [
        '-B',
        '-q',
        '-f',
        join(dir, 'pom.xml'),
        'dependency:copy-dependencies',
        `-DoutputDirectory=${this.libDir}`,
        '-DincludeScope=runtime',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const jars = existsSync(this.libDir) ? readdirSync(this.libDir).filter((f) => f.endsWith('.jar')) : [];
    if (result.status !== 0 || !jars.some((j) => j.startsWith(`kafka_2.13-${this.version}`))) {
      const out = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ');
      throw new EnvironmentError(
        `could not fetch org.apache.kafka:kafka_2.13:${this.version} with Maven (is SLUICE_KAFKA_VERSION a released version?): ${out}`,
        { code: 'KAFKA_FETCH_FAILED' },
      );
    }
    writeFileSync(this.completeMarker, `${new Date().toISOString()}\n`);
    return true;
  }
}

function runtimePom(version: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by sluice stack: the Apache Kafka broker's runtime classpath. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.sluice.stack</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${version}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
`;
}
