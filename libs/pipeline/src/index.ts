// @sluice/pipeline — declarative pipelines: the YAML file, its steps (one file each, registered by
// name), the safe expression language, schema derivation and the compiled pipeline the runtime runs;
// the transformer connector that runs one pipeline as a consumer group.
export { Expression, ExpressionEvaluationError, type ExpressionScope } from './expression/expression';
export { ExpressionSyntaxError } from './expression/expression-parser';
export { expressionText } from './steps/config-fields';
export type {
  InputSchema,
  PipelineInput,
  PipelineOutput,
  RecordMetadata,
  StepResult,
  WorkingRecord,
} from './record/pipeline-record';
export { type DerivedSchema, type StreamSchemas, SchemaDerivationError } from './schema/derived-schema';
export {
  type FieldSpec,
  addedField,
  fieldOf,
  newRecord,
  nullable,
  primitive,
  recordOf,
  unwrapNullable,
  withFields,
} from './schema/avro-builder';
export type { Step, StepContext, StepDefinition } from './steps/step';
export { defineStep, type CustomStepDefinition } from './steps/custom-step';
export { StepRegistry, BUILT_IN_STEPS, builtInStepRegistry } from './steps/step-registry';
export type { LookupRow, LookupSource, RowLookup, RowLookupFactory } from './steps/enrich/row-lookup';
export { postgresRowLookup } from './steps/enrich/postgres-row-lookup';
export {
  type JoinTable,
  type JoinTableFactory,
  type JoinTableSpec,
  type StepStartContext,
  joinKeyText,
  TableRowShape,
} from './steps/stateful/join-table';
export { VersionedTable, type TableRow } from './steps/stateful/versioned-table';
export { kafkaJoinTables, KafkaJoinTable } from './transformer/kafka-join-table';
export { type PipelineConfig, pipelineConfigSchema } from './pipeline/pipeline-config';
export { CompiledPipeline, type OutputSchemas } from './pipeline/compiled-pipeline';
export { StepFailedError, ValidationFailedError } from './pipeline/pipeline-errors';
export {
  type PipelineOptions,
  compilePipeline,
  loadPipeline,
  loadPipelineConfig,
  parsePipelineConfig,
} from './pipeline/load-pipeline';
export { stepReferenceMarkdown } from './docs/step-reference';
export {
  type FixtureCase,
  type FixtureExpected,
  type FixtureInput,
  fixtureDirOf,
  loadFixtureCases,
  writeFixtureFile,
} from './fixtures/fixture-case';
export { type CaseResult, runFixtureCase } from './fixtures/fixture-runner';
export {
  type ReadableHeaders,
  toReadable,
  fromReadable,
  headersToReadable,
  headersFromReadable,
} from './fixtures/readable-values';
export { transformerConnector } from './transformer/transformer-connector';
export { transformerSettings } from './transformer/transformer-config';
export {
  Transformer,
  pipelineFromConfig,
  type TransformerConfig,
  type TransformerConfigInput,
  type TransformerStatus,
} from './transformer/transformer';
export { declarePipelineTopics } from './transformer/pipeline-topics';
