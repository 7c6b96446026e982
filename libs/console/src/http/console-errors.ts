import { BadRequestException, ConflictException, HttpException, NotFoundException } from '@nestjs/common';
import { DeadLetterQueueNotFoundError, PurgeRefusedError } from '@sluice/dead-letter-queue';
import { InvalidRangeError } from '@sluice/kafka';
import { GroupActiveError, MissingTopicError, UnknownReplayError } from '@sluice/replay';
import { InvalidSchemaError } from '@sluice/schema';
import { RegistryAnswerError } from '@sluice/schema-catalog';
import { UnknownDeadLetterError } from '../dead-letters/dead-letter-service';
import { AppRequestError } from '../fleet/app-client';
import { ReplayStartError } from '../replay/replay-runner';
import { UnknownConnectorError } from '../fleet/fleet-reader';

/**
 * The HTTP answer for what the libraries throw, classified by type (never by message): what the
 * caller got wrong is a 4xx naming it, an app's own refusal keeps its status, anything else stays
 * a 500 with its message.
 */
export function httpErrorOf(error: unknown): unknown {
  if (error instanceof HttpException) return error;
  if (error instanceof AppRequestError)
    return new HttpException(error.message, error.status === 0 ? 502 : error.status);
  if (error instanceof UnknownConnectorError || error instanceof DeadLetterQueueNotFoundError)
    return new NotFoundException(error.message);
  if (error instanceof UnknownDeadLetterError) return new NotFoundException(error.message);
  if (error instanceof MissingTopicError || error instanceof UnknownReplayError)
    return new NotFoundException(error.message);
  if (error instanceof InvalidRangeError) return new BadRequestException(`${error.field}: ${error.message}`);
  if (error instanceof InvalidSchemaError) return new BadRequestException(`schema: ${error.message}`);
  if (error instanceof PurgeRefusedError || error instanceof GroupActiveError)
    return new ConflictException(error.message);
  if (error instanceof ReplayStartError && error.cause !== undefined) {
    // A range that resolved to nothing valid, a topic gone: the caller's to fix, as in the dry run.
    const cause = httpErrorOf(error.cause);
    if (cause instanceof HttpException) return new HttpException(error.message, cause.getStatus());
  }
  if (error instanceof RegistryAnswerError)
    return new HttpException(`schema registry: ${error.message}`, error.status === 404 ? 404 : 502);
  return error;
}

/** Runs `work`, answering what it throws as `httpErrorOf` says. */
export async function answering<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw httpErrorOf(error);
  }
}
