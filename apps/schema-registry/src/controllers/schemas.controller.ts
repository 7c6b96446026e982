import { Controller, Get, Param } from '@nestjs/common';
import { RegistryErrors } from '../errors/registry-error';
import { SUPPORTED_SCHEMA_TYPES } from '../registry/schema-request';
import { SchemasService } from '../registry/schemas.service';

/** A global id from a path; anything that cannot be an id is simply not found. */
function schemaId(text: string): number {
  const id = /^[0-9]{1,10}$/.test(text) ? Number(text) : NaN;
  if (!(id >= 1 && id <= 2 ** 31 - 1)) throw RegistryErrors.schemaNotFound(text);
  return id;
}

@Controller('schemas')
export class SchemasController {
  constructor(private readonly schemas: SchemasService) {}

  @Get('types')
  types(): readonly string[] {
    return SUPPORTED_SCHEMA_TYPES;
  }

  @Get('ids/:id')
  async byId(@Param('id') id: string): Promise<{ schema: string; schemaType?: string }> {
    const found = await this.schemas.byId(schemaId(id));
    return found.schemaType === 'AVRO'
      ? { schema: found.schema }
      : { schemaType: found.schemaType, schema: found.schema };
  }

  @Get('ids/:id/schema')
  async rawById(@Param('id') id: string): Promise<string> {
    return (await this.schemas.byId(schemaId(id))).schema;
  }

  @Get('ids/:id/versions')
  versions(@Param('id') id: string): Promise<{ subject: string; version: number }[]> {
    return this.schemas.subjectVersions(schemaId(id));
  }
}
