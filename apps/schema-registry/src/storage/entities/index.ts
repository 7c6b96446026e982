export { SchemaEntity } from './schema.entity';
export { SubjectEntity } from './subject.entity';
export { SubjectVersionEntity } from './subject-version.entity';
export { CompatibilityConfigEntity } from './compatibility-config.entity';
