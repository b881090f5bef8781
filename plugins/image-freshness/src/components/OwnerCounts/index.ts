export { OwnerCounts } from './OwnerCounts';
