import { SluiceError } from '@sluice/errors';
import { type ConsoleApp } from '../config/console-config';

/** What the management API answers for one connector (Kafka Connect's shapes). */
export interface ConnectorSummary {
  readonly name: string;
  readonly type: 'source' | 'transform' | 'sink';
  readonly state: string;
}

export interface ConnectorStatusAnswer extends ConnectorSummary {
  readonly workerId: string;
  readonly partitions: ReadonlyArray<{ readonly topic: string; readonly partition: number }>;
  readonly lastError?: string;
}

export interface PartitionOffsetAnswer {
  readonly topic: string;
  readonly partition: number;
  readonly committedOffset?: string;
  readonly endOffset?: string;
  readonly lag?: string;
}

export interface ConnectorOffsetsAnswer {
  readonly name: string;
  readonly partitions?: readonly PartitionOffsetAnswer[];
  readonly source?: Readonly<Record<string, unknown>>;
}

export type ManagementAction = 'pause' | 'resume' | 'restart';

/** An app did not answer, or answered with an error: `status` is its HTTP status (0: unreachable). */
export class AppRequestError extends SluiceError {
  readonly code = 'APP_REQUEST_FAILED';
  readonly retriable: boolean;
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.retriable = status === 0 || status >= 500;
  }
}

/**
 * One running app's HTTP surface, as the console uses it: `/status`, `/metrics` and the
 * management API (reads open; pause, resume and restart with the app's bearer token when it has one).
 * Each call is bounded by `timeoutMs`.
 */
export class AppClient {
  readonly url: string;

  constructor(
    private readonly app: ConsoleApp,
    private readonly timeoutMs = 5000,
  ) {
    this.url = app.url.replace(/\/$/, '');
  }

  connectors(): Promise<ConnectorSummary[]> {
    return this.json('GET', '/connectors');
  }

  connectorStatus(name: string): Promise<ConnectorStatusAnswer> {
    return this.json('GET', `/connectors/${encodeURIComponent(name)}/status`);
  }

  connectorOffsets(name: string): Promise<ConnectorOffsetsAnswer> {
    return this.json('GET', `/connectors/${encodeURIComponent(name)}/offsets`);
  }

  /** The app's own `/status` (phase, counters, last error; its shape is the app's). */
  status(): Promise<Record<string, unknown>> {
    return this.json('GET', '/status');
  }

  async metrics(): Promise<string> {
    return (await this.request('GET', '/metrics', 'text/plain')).text();
  }

  act(name: string, action: ManagementAction): Promise<ConnectorStatusAnswer> {
    return this.json('POST', `/connectors/${encodeURIComponent(name)}/${action}`);
  }

  /** A source's incremental snapshot of `tables` (`POST /snapshots`, what `sluice snapshot` calls). */
  requestSnapshot(tables: readonly string[]): Promise<{ signalId: string; tables: string[] }> {
    return this.json('POST', '/snapshots', { tables });
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.request(method, path, 'application/json', body)).json()) as T;
  }

  private async request(method: string, path: string, accept: string, body?: unknown): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          accept,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(method !== 'GET' && this.app.token ? { authorization: `Bearer ${this.app.token}` } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      throw new AppRequestError(`${method} ${this.url}${path}: no answer (${(cause as Error).message})`, 0);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      let message = text.slice(0, 300);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // Not JSON: the text as it is.
      }
      throw new AppRequestError(
        `${method} ${this.url}${path}: ${response.status} ${message}`.trim(),
        response.status,
      );
    }
    return response;
  }
}
