import { RetriableError } from '@sluice/errors';
import { basicAuthorization, type RegistryBasicAuth } from '@sluice/schema';

/** An error answer of a Confluent-compatible registry: HTTP status plus its `error_code`. */
export class RegistryAnswerError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/**
 * The few calls of the Confluent Schema Registry REST API the `schemas/` workflow makes. Works
 * against Sluice's registry, Confluent's, Karapace or Apicurio's ccompat API.
 */
export class RegistryApi {
  constructor(
    private readonly baseUrl: string,
    /** HTTP basic auth, sent with every call (the registry's `registry.auth`). */
    private readonly auth?: RegistryBasicAuth,
  ) {}

  /** Every subject of the registry. */
  subjects(): Promise<string[]> {
    return this.request('GET', '/subjects');
  }

  /** The subject's version numbers, oldest first. */
  versions(subject: string): Promise<number[]> {
    return this.request('GET', `/subjects/${enc(subject)}/versions`);
  }

  /** One version of a subject (`latest` for the newest): its id and schema text. */
  version(
    subject: string,
    version: number | 'latest',
  ): Promise<{ subject: string; version: number; id: number; schema: string }> {
    return this.request('GET', `/subjects/${enc(subject)}/versions/${version}`);
  }

  /** The subject's effective compatibility level (its own, else the global one). */
  async compatibilityLevel(subject: string): Promise<string> {
    const own = await this.request<{ compatibilityLevel: string }>(
      'GET',
      `/config/${enc(subject)}?defaultToGlobal=true`,
    ).catch((err: unknown) => {
      if (err instanceof RegistryAnswerError && err.status === 404) return undefined;
      throw err;
    });
    if (own) return own.compatibilityLevel;
    return (await this.request<{ compatibilityLevel: string }>('GET', '/config')).compatibilityLevel;
  }

  /** The registered version of exactly this schema under the subject, or undefined. */
  async lookup(subject: string, schema: string): Promise<{ id: number; version: number } | undefined> {
    try {
      return await this.request('POST', `/subjects/${enc(subject)}`, { schema });
    } catch (err) {
      if (err instanceof RegistryAnswerError && (err.errorCode === 40401 || err.errorCode === 40403))
        return undefined;
      throw err;
    }
  }

  /** Whether the registry would accept the schema as the subject's next version. */
  async testCompatibility(
    subject: string,
    schema: string,
  ): Promise<{ compatible: boolean; messages: string[] }> {
    try {
      const answer = await this.request<{ is_compatible: boolean; messages?: string[] }>(
        'POST',
        `/compatibility/subjects/${enc(subject)}/versions/latest?verbose=true`,
        { schema },
      );
      return { compatible: answer.is_compatible, messages: answer.messages ?? [] };
    } catch (err) {
      // A subject that does not exist yet accepts any valid schema.
      if (err instanceof RegistryAnswerError && (err.errorCode === 40401 || err.errorCode === 40402))
        return { compatible: true, messages: [] };
      throw err;
    }
  }

  async register(subject: string, schema: string): Promise<number> {
    return (
      await this.request<{ id: number }>('POST', `/subjects/${enc(subject)}/versions`, {
        schema,
        schemaType: 'AVRO',
      })
    ).id;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl.replace(/\/$/, '')}${path}`, {
        method,
        headers: {
          'content-type': CONTENT_TYPE,
          accept: CONTENT_TYPE,
          ...(this.auth && { authorization: basicAuthorization(this.auth) }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (cause) {
      throw new RetriableError(`schema registry ${this.baseUrl} unreachable (${(cause as Error).message})`, {
        cause,
        code: 'REGISTRY_UNREACHABLE',
      });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const answer = parsed as { error_code?: number; message?: string } | undefined;
      throw new RegistryAnswerError(
        response.status,
        answer?.error_code,
        `${method} ${path}: ${response.status} ${answer?.message ?? text.slice(0, 200)}`,
      );
    }
    return parsed as T;
  }
}

function enc(subject: string): string {
  return encodeURIComponent(subject);
}
