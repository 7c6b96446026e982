export { type StackLayout, stackLayout, withTls } from './stack-layout';
export {
  type StackCertificates,
  stackCertificates,
  issueCertificate,
  makeCertificateAuthority,
  LOOPBACK_NAMES,
} from './parts/stack-certificates';
export { type PartStatus, type StartOutcome, type StackPart } from './stack-part';
export {
  LocalStack,
  type PartName,
  PART_NAMES,
  CORE_PARTS,
  OBSERVABILITY_PARTS,
  type StackEvents,
  startedParts,
} from './local-stack';
export { JaegerPart } from './parts/jaeger-part';
export { PrometheusPart } from './parts/prometheus-part';
export { KafkaPart } from './parts/kafka-part';
export { type KafkaSaslSslEndpoint, type KafkaSaslUser } from './parts/kafka-sasl-ssl';
export { tailFile } from './process-control';
export { KafkaRuntime } from './parts/kafka-runtime';
export { MavenClasspath, type MavenArtifact } from './parts/maven-classpath';
export { requireJava } from './parts/java-toolchain';
