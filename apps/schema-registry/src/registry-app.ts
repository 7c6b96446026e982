import { type AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { postgresTlsOptions, warnUnverifiedTls } from '@sluice/config';
import { createLogger, NestPinoLogger } from '@sluice/observability';
import { RegistryErrors } from './errors/registry-error';
import { type RegistryConfig } from './config/registry-config';
import { requireBasicAuth } from './http/basic-auth';
import { configureContentTypes } from './http/content-types';
import { RegistryExceptionFilter } from './http/registry-exception.filter';
import { RegistryModule } from './registry.module';

export interface RegistryApp {
  app: NestFastifyApplication;
  /** Where it listens, e.g. http://127.0.0.1:8081 (the real port when configured with 0). */
  url: string;
  close(): Promise<void>;
}

/**
 * Builds, migrates and starts a registry listening as `config.http` says. Tests and benchmarks
 * start it in-process (port 0); `main.ts` starts it for the container and the local stack.
 * `baseDir` is where relative paths of the configuration (`database.ssl`'s files) are resolved.
 */
export async function createRegistryApp(
  config: RegistryConfig,
  options: { readonly baseDir?: string } = {},
): Promise<RegistryApp> {
  const logger = createLogger('schema-registry', config.logging, { secretsFrom: config });
  warnUnverifiedTls(config, logger);
  const databaseTls = postgresTlsOptions(config.database.ssl, {
    baseDir: options.baseDir ?? process.cwd(),
    path: 'database.ssl',
  });
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    routerOptions: { maxParamLength: 4096, ignoreTrailingSlash: true },
    // A URL the router cannot read (bad percent-encoding, a parameter over maxParamLength) is
    // refused before Nest sees it: answered in Confluent's error shape, as every other refusal.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode ?? 400;
      void reply
        .code(status)
        .type('application/json')
        .send(RegistryErrors.http(status, error.message).toBody());
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    RegistryModule.forConfig(config, databaseTls),
    adapter,
    {
      logger: new NestPinoLogger(logger),
      bodyParser: false,
      abortOnError: false,
    },
  );
  app.useGlobalFilters(new RegistryExceptionFilter());
  configureContentTypes(app.getHttpAdapter().getInstance());
  if (config.auth.users.length > 0)
    requireBasicAuth(app.getHttpAdapter().getInstance(), config.auth.users, config.auth.realm);
  await app.listen(config.http.port, config.http.host);
  const address = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://${config.http.host}:${address.port}`, close: () => app.close() };
}
