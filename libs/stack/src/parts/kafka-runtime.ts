import { MavenClasspath } from './maven-classpath';

/**
 * Apache Kafka's broker, as the official artifacts on Maven Central: `org.apache.kafka:kafka_2.13`
 * and its runtime dependencies, copied once into a cache folder shared by every clone. The POM does
 * not bring a logging binding, so log4j's SLF4J bridge is added (log4j-api/core come with Kafka).
 */
export class KafkaRuntime {
  private readonly jars: MavenClasspath;

  constructor(
    cacheDir: string,
    readonly version: string,
  ) {
    this.jars = new MavenClasspath(
      cacheDir,
      `kafka-${version}`,
      [
        { groupId: 'org.apache.kafka', artifactId: 'kafka_2.13', version },
        { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j-impl', version: '2.24.3' },
      ],
      `Apache Kafka ${version}`,
      'is SLUICE_KAFKA_VERSION a released version?',
    );
  }

  get libDir(): string {
    return this.jars.libDir;
  }

  get classpath(): string {
    return this.jars.classpath;
  }

  isInstalled(): boolean {
    return this.jars.isInstalled();
  }

  /** Fetches the jars unless the cache already holds them. Returns true when it downloaded. */
  ensureInstalled(log: (line: string) => void = () => undefined): boolean {
    return this.jars.ensureInstalled(log);
  }
}
