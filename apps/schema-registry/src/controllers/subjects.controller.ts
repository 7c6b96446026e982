import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { parseSchemaRequest } from '../registry/schema-request';
import { SubjectsService, type SubjectVersionView } from '../registry/subjects.service';
import { parseVersionRef } from '../registry/version-ref';
import { flag } from './query-flags';
import { SubjectParam } from './subject-param';

@Controller('subjects')
export class SubjectsController {
  constructor(private readonly subjects: SubjectsService) {}

  @Get()
  list(@Query('deleted') deleted?: string): Promise<string[]> {
    return this.subjects.subjects(flag(deleted));
  }

  @Get(':subject/versions')
  versions(
    @Param('subject', SubjectParam) subject: string,
    @Query('deleted') deleted?: string,
  ): Promise<number[]> {
    return this.subjects.versionNumbers(subject, flag(deleted));
  }

  @Post(':subject/versions')
  @HttpCode(200)
  async register(
    @Param('subject', SubjectParam) subject: string,
    @Body() body: unknown,
  ): Promise<{ id: number }> {
    return { id: await this.subjects.register(subject, parseSchemaRequest(body)) };
  }

  @Post(':subject')
  @HttpCode(200)
  lookup(
    @Param('subject', SubjectParam) subject: string,
    @Body() body: unknown,
    @Query('deleted') deleted?: string,
  ): Promise<SubjectVersionView> {
    return this.subjects.lookup(subject, parseSchemaRequest(body), flag(deleted));
  }

  @Get(':subject/versions/:version')
  version(
    @Param('subject', SubjectParam) subject: string,
    @Param('version') version: string,
    @Query('deleted') deleted?: string,
  ): Promise<SubjectVersionView> {
    return this.subjects.version(subject, parseVersionRef(version), flag(deleted));
  }

  /** The schema alone, unescaped, as its own JSON document. */
  @Get(':subject/versions/:version/schema')
  async rawSchema(
    @Param('subject', SubjectParam) subject: string,
    @Param('version') version: string,
    @Query('deleted') deleted?: string,
  ): Promise<string> {
    return (await this.subjects.version(subject, parseVersionRef(version), flag(deleted))).schema;
  }

  /** Schema references are not supported, so nothing ever refers to a version. */
  @Get(':subject/versions/:version/referencedby')
  async referencedBy(
    @Param('subject', SubjectParam) subject: string,
    @Param('version') version: string,
  ): Promise<number[]> {
    await this.subjects.version(subject, parseVersionRef(version), true);
    return [];
  }

  @Delete(':subject')
  deleteSubject(
    @Param('subject', SubjectParam) subject: string,
    @Query('permanent') permanent?: string,
  ): Promise<number[]> {
    return this.subjects.deleteSubject(subject, flag(permanent));
  }

  @Delete(':subject/versions/:version')
  deleteVersion(
    @Param('subject', SubjectParam) subject: string,
    @Param('version') version: string,
    @Query('permanent') permanent?: string,
  ): Promise<number> {
    return this.subjects.deleteVersion(subject, parseVersionRef(version), flag(permanent));
  }
}
