// The part of autocannon's programmatic API the benchmarks use (the package ships no types).
declare module 'autocannon' {
  import { type EventEmitter } from 'node:events';

  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      /** Called for every request sent; returns the request to send (a falsy value restarts the list). */
      setupRequest?: (request: Request, context: Record<string, unknown>) => Request | undefined;
    }

    interface Options {
      url: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      /** Requests per second from all connections, spread over each second's window (bursty). */
      overallRate?: number;
      /** Seconds a request may take. Default 10. */
      timeout?: number;
      /** A run before the measured one, with these options over the others; not measured. */
      warmup?: { duration?: number; connections?: number };
      requests?: Request[];
    }

    interface Result {
      /** Seconds, wall time of the run. */
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      '2xx': number;
      /** Whole milliseconds (the histogram's resolution), 2xx responses only. */
      latency: { p50: number; p99: number; average: number; max: number };
      requests: { average: number; sent: number };
      warmup?: Result;
    }

    /**
     * A running benchmark: a promise of its result, and an emitter of `response` (client, status
     * code, bytes, response time in ms) for each response of the measured run.
     */
    interface Instance extends EventEmitter, PromiseLike<Result> {}
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
