export { type StackLayout, stackLayout } from './stack-layout';
export { type PartStatus, type StartOutcome, type StackPart } from './stack-part';
export { LocalStack, type PartName, PART_NAMES, type StackEvents } from './local-stack';
export { tailFile } from './process-control';
export { KafkaRuntime } from './parts/kafka-runtime';
