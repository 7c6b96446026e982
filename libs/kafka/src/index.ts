export { murmur2, toPositive } from './partitioning/murmur2';
export { partitionForKey } from './partitioning/partition-for-key';
export { murmur2Partitioner } from './partitioning/murmur2-partitioner';
