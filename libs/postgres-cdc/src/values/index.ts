export type { AvroJson } from './avro-json';
export {
  type ColumnConverter,
  type ColumnConverterOptions,
  type ColumnMask,
  type ColumnType,
  createColumnConverter,
  DEFAULT_UNAVAILABLE_VALUE_PLACEHOLDER,
} from './column-converter';
export { UnrepresentableValueError } from './unrepresentable-value-error';
