export { FreshnessSummary } from './FreshnessSummary';
export type { ContainerFilter } from './FreshnessSummary';
