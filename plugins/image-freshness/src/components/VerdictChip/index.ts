export { VerdictChip, verdictColor, verdictLabel } from './VerdictChip';
export type { AnyVerdict } from './VerdictChip';
