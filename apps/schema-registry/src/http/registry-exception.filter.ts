import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { type FastifyReply } from 'fastify';
import { DatabaseError } from 'pg';
import { QueryFailedError, TypeORMError } from 'typeorm';
import { RegistryError, RegistryErrors } from '../errors/registry-error';
import { RESPONSE_CONTENT_TYPE } from './content-types';

/** Fastify's and Nest's request errors as Confluent would word them. */
function fromHttpException(error: HttpException): RegistryError {
  const status = error.getStatus();
  switch (status) {
    case 404:
      return RegistryErrors.http(404, 'HTTP 404 Not Found');
    case 413:
      return RegistryErrors.http(413, 'Request body is too large');
    case 415:
      return RegistryErrors.http(415, `HTTP 415 Unsupported Media Type: ${error.message}`);
    default:
      return RegistryErrors.http(status, error.message);
  }
}

/**
 * Every error leaves as `{"error_code": N, "message": "..."}` with the matching HTTP status;
 * unexpected ones are logged with their stack and answered without it.
 */
@Catch()
export class RegistryExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('SchemaRegistry');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof HttpException && isHealthReport(exception.getResponse())) {
      // terminus's report of a failed health check goes out as it is
      void reply.status(exception.getStatus()).send(exception.getResponse());
      return;
    }
    const error = this.classify(exception);
    if (error.httpStatus >= 500) this.logger.error(exception);
    void reply.status(error.httpStatus).header('content-type', RESPONSE_CONTENT_TYPE).send(error.toBody());
  }

  private classify(exception: unknown): RegistryError {
    if (exception instanceof RegistryError) return exception;
    if (exception instanceof HttpException) return fromHttpException(exception);
    if (exception instanceof QueryFailedError || isDriverError(exception)) {
      return RegistryErrors.store('the database failed to answer', { cause: exception });
    }
    return RegistryErrors.http(500, 'Internal Server Error');
  }
}

/** Postgres refused, a connection failed, the pool timed out: the backend store, not the request. */
function isDriverError(exception: unknown): boolean {
  return (
    exception instanceof DatabaseError ||
    exception instanceof TypeORMError ||
    (exception instanceof Error && typeof (exception as NodeJS.ErrnoException).syscall === 'string')
  );
}

function isHealthReport(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'status' in body && 'details' in body;
}
