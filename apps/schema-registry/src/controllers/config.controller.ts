import { Body, Controller, Delete, Get, Param, Put, Query } from '@nestjs/common';
import { type CompatibilityLevel } from '@sluice/schema';
import { CompatibilityConfigService, parseLevelRequest } from '../registry/compatibility-config.service';
import { flag } from './query-flags';
import { SubjectParam } from './subject-param';

type LevelView = { compatibilityLevel: CompatibilityLevel };
type LevelUpdate = { compatibility: CompatibilityLevel };

/** Compatibility levels: GET answers `compatibilityLevel`, PUT takes and answers `compatibility`. */
@Controller('config')
export class ConfigController {
  constructor(private readonly levels: CompatibilityConfigService) {}

  @Get()
  async global(): Promise<LevelView> {
    return { compatibilityLevel: await this.levels.globalLevel() };
  }

  @Put()
  async setGlobal(@Body() body: unknown): Promise<LevelUpdate> {
    const level = parseLevelRequest(body);
    await this.levels.setGlobalLevel(level);
    return { compatibility: level };
  }

  @Delete()
  async resetGlobal(): Promise<LevelView> {
    return { compatibilityLevel: await this.levels.resetGlobalLevel() };
  }

  @Get(':subject')
  async subject(
    @Param('subject', SubjectParam) subject: string,
    @Query('defaultToGlobal') defaultToGlobal?: string,
  ): Promise<LevelView> {
    return { compatibilityLevel: await this.levels.subjectLevel(subject, flag(defaultToGlobal)) };
  }

  @Put(':subject')
  async setSubject(
    @Param('subject', SubjectParam) subject: string,
    @Body() body: unknown,
  ): Promise<LevelUpdate> {
    const level = parseLevelRequest(body);
    await this.levels.setSubjectLevel(subject, level);
    return { compatibility: level };
  }

  @Delete(':subject')
  async deleteSubject(@Param('subject', SubjectParam) subject: string): Promise<LevelView> {
    return { compatibilityLevel: await this.levels.deleteSubjectLevel(subject) };
  }
}
