import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import { z } from 'zod';
import { type PostgresSource, SignalsNotConfiguredError, UnknownTableError } from '../source/postgres-source';
import { type SourceStatus } from '../source/source-status';
import { POSTGRES_SOURCE } from './tokens';

const tableResumeBody = z.strictObject({
  /**
   * 'retry': register the held schema again (after the subject's compatibility was fixed in the
   * registry); 'new-subject': register it under a fresh subject and go on.
   */
  action: z.enum(['retry', 'new-subject']),
});

const snapshotRequestBody = z.strictObject({
  /** `schema.table` of captured tables. */
  tables: z.array(z.string().regex(/^[^.\s]+\.[^.\s]+$/, 'expected schema.table')).min(1),
});

function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const at = issue.path.length ? issue.path.join('.') : '(body)';
  throw new BadRequestException(`${what}: at ${at}: ${issue.message}`);
}

/**
 * The source's operator API, as Kafka Connect's REST API offers for a connector. `GET /status`
 * (the same `SourceStatus` these actions answer) is served by the connector host.
 */
@Controller()
export class SourceController {
  constructor(@Inject(POSTGRES_SOURCE) private readonly source: PostgresSource) {}

  /** Stops reading the slot; the position is kept and WAL is retained until `resume`. */
  @Post('pause')
  @HttpCode(202)
  pause(): SourceStatus {
    this.source.pause();
    return this.source.status();
  }

  @Post('resume')
  @HttpCode(202)
  resume(): SourceStatus {
    this.source.resume();
    return this.source.status();
  }

  /** The operator's decision on a table held back by a schema the registry refused. */
  @Post('tables/:table/resume')
  @HttpCode(202)
  async resumeTable(@Param('table') table: string, @Body() body: unknown): Promise<SourceStatus> {
    const { action } = parseBody(tableResumeBody, body, 'POST /tables/:table/resume');
    try {
      await this.source.resumeTable(table, action);
    } catch (error) {
      if (error instanceof UnknownTableError) throw new NotFoundException(error.message);
      throw error;
    }
    return this.source.status();
  }

  /**
   * An incremental snapshot of captured tables while streaming goes on (what `sluice snapshot
   * --table` calls): writes an execute-snapshot signal; `GET /status` shows the progress.
   */
  @Post('snapshots')
  @HttpCode(202)
  async requestSnapshot(@Body() body: unknown): Promise<{ signalId: string; tables: string[] }> {
    const { tables } = parseBody(snapshotRequestBody, body, 'POST /snapshots');
    try {
      return { signalId: await this.source.requestSnapshot(tables), tables };
    } catch (error) {
      if (error instanceof UnknownTableError) throw new NotFoundException(error.message);
      if (error instanceof SignalsNotConfiguredError) throw new ConflictException(error.message);
      throw error;
    }
  }
}
