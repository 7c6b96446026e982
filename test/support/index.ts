export { type StackAddresses, stackAddresses, uniqueName } from './addresses';
export {
  PROJECT_ROOT,
  type CliRun,
  jsonOutput,
  runSluice,
  runSluiceOnTerminal,
  terminalAvailable,
} from './sluice-cli';
