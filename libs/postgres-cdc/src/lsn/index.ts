export { InvalidLsnError } from './invalid-lsn-error';
export { Lsn } from './lsn';
