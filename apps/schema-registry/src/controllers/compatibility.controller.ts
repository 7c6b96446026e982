import { Body, Controller, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  CompatibilityCheckService,
  type CompatibilityVerdict,
} from '../registry/compatibility-check.service';
import { parseSchemaRequest } from '../registry/schema-request';
import { parseVersionRef } from '../registry/version-ref';
import { flag } from './query-flags';
import { SubjectParam } from './subject-param';

@Controller('compatibility/subjects')
export class CompatibilityController {
  constructor(private readonly checker: CompatibilityCheckService) {}

  @Post(':subject/versions/:version')
  @HttpCode(200)
  againstVersion(
    @Param('subject', SubjectParam) subject: string,
    @Param('version') version: string,
    @Body() body: unknown,
    @Query('verbose') verbose?: string,
  ): Promise<CompatibilityVerdict> {
    const ref = parseVersionRef(version);
    return this.checker.check(subject, ref, parseSchemaRequest(body), flag(verbose));
  }

  /** Without a version: against the versions the subject's level looks at. */
  @Post(':subject/versions')
  @HttpCode(200)
  againstSubject(
    @Param('subject', SubjectParam) subject: string,
    @Body() body: unknown,
    @Query('verbose') verbose?: string,
  ): Promise<CompatibilityVerdict> {
    return this.checker.check(subject, 'latest', parseSchemaRequest(body), flag(verbose));
  }
}
