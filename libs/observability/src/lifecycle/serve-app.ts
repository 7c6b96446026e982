import { type AddressInfo } from 'node:net';
import { type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type FastifyInstance } from 'fastify';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { bindAddress, type HttpConfig } from '../http/http-config';
import { serveOpenApi } from '../http/open-api';
import { type Logger } from '../logging/logger';
import { NestPinoLogger } from '../logging/nest-pino-logger';
import { releaseInTurn } from './release-in-turn';

/** The work an app serves: started once its HTTP API answers, stopped before the API closes. */
export interface AppWork {
  start(): Promise<void> | void;
  stop(): Promise<void>;
}

export interface ServeAppOptions {
  /** The app's name: the title of its OpenAPI document. */
  readonly name: string;
  /** The app's Nest module (controllers, health, metrics, management API). */
  readonly module: DynamicModule;
  readonly logger: Logger;
  /** The app's `http` section (`httpConfigSchema`). */
  readonly http: Pick<HttpConfig, 'host' | 'port' | 'token'>;
  readonly work: AppWork;
  /** Released after the work stopped (probes' clients, metric watchers). */
  readonly release?: ReadonlyArray<() => Promise<void> | void>;
  /**
   * Routes served beside the Nest module, straight on Fastify (an inbound webhook needs the raw
   * body bytes and its own content types), registered before the server listens.
   */
  readonly routes?: (fastify: FastifyInstance) => Promise<void> | void;
  /** Time a client gets to send a whole request (slow clients are cut off): Fastify's requestTimeout. Default none. */
  readonly requestTimeoutMs?: number;
}

export interface ServedApp {
  /** Where the HTTP API listens, e.g. http://127.0.0.1:8102 (port 0 resolved). */
  readonly url: string;
  /**
   * Stops the work (it drains and commits), releases what it used, closes the HTTP API: each step
   * also when an earlier one failed, the first failure rethrown after the last.
   */
  close(): Promise<void>;
}

/**
 * How every Sluice app comes up: its Nest module on Fastify with the pino logger and the OpenAPI
 * document at /docs, listening first (so probes and /status answer while the work starts), then
 * the work; a work that cannot start takes the API down with it. Without `http.token` the
 * management API is unauthenticated, so the server binds to loopback only, whatever `http.host`
 * asks for — enforced here so that no app can forget it.
 */
export async function serveApp(options: ServeAppOptions): Promise<ServedApp> {
  const { host, forced } = bindAddress(options.http);
  if (options.http.token === undefined)
    options.logger.warn(
      { requestedHost: options.http.host, boundHost: host },
      forced
        ? `management API unauthenticated (no http.token): bound to loopback ${host} only, not the requested ${options.http.host}`
        : `management API unauthenticated (no http.token): bound to loopback ${host} only`,
    );
  const adapter = new FastifyAdapter(
    options.requestTimeoutMs !== undefined ? { requestTimeout: options.requestTimeoutMs } : undefined,
  );
  const app = await NestFactory.create<NestFastifyApplication>(options.module, adapter, {
    logger: new NestPinoLogger(options.logger),
    abortOnError: false,
  });
  serveOpenApi(app, options.name);
  if (options.routes) await options.routes(app.getHttpAdapter().getInstance() as unknown as FastifyInstance);
  await app.listen(options.http.port, host);
  const { port } = app.getHttpServer().address() as AddressInfo;
  const close = () =>
    releaseInTurn([() => options.work.stop(), ...(options.release ?? []), () => app.close()]);
  try {
    await options.work.start();
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, close };
}
