export { type StackAddresses, stackAddresses, uniqueName } from './addresses';
