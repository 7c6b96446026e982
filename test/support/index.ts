export { type StackAddresses, stackAddresses, uniqueName } from './addresses';
export { readCommitted, untilConsumed } from './committed-records';
export { freePort } from './ports';
export {
  PROJECT_ROOT,
  type CliRun,
  jsonOutput,
  runSluice,
  runSluiceOnTerminal,
  terminalAvailable,
} from './sluice-cli';
export { FakeClock } from './fake-clock';
export { until, untilStill } from './until';
export { AppChild } from './app-child';
export { exited, hasExited, stopChild } from './child-stop';
export { assertConfigError } from './config-errors';
export {
  CONNECT_VERSION,
  ConnectWorker,
  type ConnectWorkerOptions,
  DEBEZIUM_VERSION,
  debeziumClasspath,
  debeziumUnavailable,
} from './connect-worker';
export {
  type ConnectSchema,
  DebeziumPeer,
  type DebeziumPeerOptions,
  parseConnectJson,
} from './debezium-peer';
export { deleteTopicsIfPresent, firstDelivery } from './topics';
