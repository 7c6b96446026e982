import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import { z } from 'zod';
import { type PostgresSource, type SourceStatus, UnknownTableError } from '@sluice/postgres-cdc';
import { POSTGRES_SOURCE } from './tokens';

const tableResumeBody = z.strictObject({
  /**
   * 'retry': register the held schema again (after the subject's compatibility was fixed in the
   * registry); 'new-subject': register it under a fresh subject and go on.
   */
  action: z.enum(['retry', 'new-subject']),
});

function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const at = issue.path.length ? issue.path.join('.') : '(body)';
  throw new BadRequestException(`${what}: at ${at}: ${issue.message}`);
}

/** The source's management API, as Kafka Connect's REST API offers for a connector. */
@Controller()
export class SourceController {
  constructor(@Inject(POSTGRES_SOURCE) private readonly source: PostgresSource) {}

  @Get('status')
  status(): SourceStatus {
    return this.source.status();
  }

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
}
