import { type HttpDestination } from './http-destination';
import { BATCH_KEYS_HEADER, IdempotencyKey } from './idempotency-key';
import { type PreparedRequest } from './prepared-request';

interface Pending {
  readonly request: PreparedRequest;
  /** The member's rendered body (`RequestTemplate.bodyText`). */
  readonly body: string;
  readonly signal: AbortSignal;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Optional batching for one destination: records handed in while a batch fills (up to
 * `maxRecords`, or for `lingerMs` after the first) go out as one request whose body is a JSON
 * array of their rendered bodies (format text: the bodies, one per line). URL and headers are the
 * first record's. The batch's `Idempotency-Key` is `IdempotencyKey.ofBatch` of the members' keys,
 * which travel in `X-Sluice-Idempotency-Keys`. Every member settles with the batch: delivered,
 * or dead-lettered with the same reason. Records of one key never share a batch (the runtime hands
 * a key's next record in only after the previous one settled), so per-key order holds.
 */
export class RequestBatcher {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly destination: HttpDestination,
    private readonly maxRecords: number,
    private readonly lingerMs: number,
  ) {}

  add(request: PreparedRequest, body: string, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ request, body, signal, resolve, reject });
      if (this.pending.length >= this.maxRecords) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const members = this.pending;
    this.pending = [];
    if (members.length === 0) return;
    void this.send(members);
  }

  private async send(members: Pending[]): Promise<void> {
    const first = members[0]!.request;
    const keys = members.map((m) => m.request.idempotencyKey);
    const json = this.destination.config.format === 'json';
    const bodies = members.map((m) => m.body);
    const body = Buffer.from(json ? `[${bodies.join(',')}]` : bodies.join('\n'), 'utf8');
    const request: PreparedRequest = {
      ...first,
      headers: { ...first.headers, [BATCH_KEYS_HEADER.toLowerCase()]: keys.join(',') },
      body,
      idempotencyKey: IdempotencyKey.ofBatch(keys),
    };
    const abandoned = allAborted(members.map((m) => m.signal));
    try {
      await this.destination.deliver(request, abandoned.signal, members.length);
      for (const m of members) m.resolve();
    } catch (error) {
      for (const m of members) m.reject(error);
    } finally {
      abandoned.dispose();
    }
  }
}

/**
 * Fires once every one of `signals` fired: a batch is abandoned only when all its records are. The
 * records' signals live as long as their partition's assignment, so the listeners are removed when
 * the batch is done (`dispose`), not left to pile up.
 */
function allAborted(signals: readonly AbortSignal[]): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const distinct = [...new Set(signals)];
  const check = (): void => {
    if (distinct.every((s) => s.aborted)) controller.abort(distinct[0]!.reason);
  };
  for (const s of distinct) s.addEventListener('abort', check, { once: true });
  check();
  return {
    signal: controller.signal,
    dispose: () => {
      for (const s of distinct) s.removeEventListener('abort', check);
    },
  };
}
