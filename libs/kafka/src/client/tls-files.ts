import { readFileSync } from 'node:fs';
import { ConfigError } from '@sluice/errors';
import { type KafkaTlsConfig } from '../config/kafka-config';

/** The PEM contents behind `tls.ca`, `tls.cert` and `tls.key`. */
export interface TlsMaterial {
  ca?: string;
  cert?: string;
  key?: string;
}

/** Where the Kafka settings came from, so an error can say "<file>: at kafka.tls.ca: ...". */
export interface ConfigLocation {
  source: string;
  path: string;
}

/**
 * Reads the TLS files once, when the client is built, so a wrong path or a permission problem stops
 * the start-up with the file and the YAML path named, instead of surfacing as an opaque handshake
 * failure on the first connection (and again on every reconnect). Certificates rotated on disk are
 * picked up by restarting, which is how Kubernetes secret rotation reaches a pod anyway.
 */
export function readTlsFiles(tls: KafkaTlsConfig, where: ConfigLocation): TlsMaterial {
  const material: TlsMaterial = {};
  for (const field of ['ca', 'cert', 'key'] as const) {
    const file = tls[field];
    if (file === undefined) continue;
    const path = `${where.path}.tls.${field}`;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
      throw new ConfigError(
        `${where.source}: at ${path}: cannot read TLS file ${file} (${reason})`,
        where.source,
        path,
        { cause },
      );
    }
    // Node's TLS takes PEM only; a DER or empty file would otherwise fail later as a cryptic
    // handshake or decoder error, far from the setting that caused it.
    if (!text.includes('-----BEGIN ')) {
      throw new ConfigError(
        `${where.source}: at ${path}: TLS file ${file} is not PEM (no "-----BEGIN" line)`,
        where.source,
        path,
      );
    }
    material[field] = text;
  }
  return material;
}
