import { spawnSync } from 'node:child_process';
import { EnvironmentError } from '@sluice/errors';

/** The machine's Java, checked once: Kafka 4.x brokers need Java 17 or newer. */
export function requireJava(minMajor = 17): string {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error) {
    throw new EnvironmentError(
      `Java not found on PATH: Kafka needs Java ${minMajor}+ (Debian: apt-get install openjdk-17-jre-headless)`,
      { code: 'JAVA_MISSING' },
    );
  }
  const text = `${result.stderr}${result.stdout}`;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(text);
  const major = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : NaN;
  if (!(major >= minMajor)) {
    throw new EnvironmentError(`Java ${minMajor}+ is needed for Kafka, found: ${text.split('\n')[0]}`, {
      code: 'JAVA_TOO_OLD',
    });
  }
  return 'java';
}

/** Maven, needed only the first time, to fetch Kafka's jars from Maven Central. */
export function requireMaven(): string {
  const result = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new EnvironmentError(
      'Maven (mvn) not found on PATH: it is needed once to fetch Apache Kafka from Maven Central (Debian: apt-get install maven)',
      { code: 'MAVEN_MISSING' },
    );
  }
  return 'mvn';
}
