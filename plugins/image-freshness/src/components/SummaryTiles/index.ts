export { SummaryTiles } from './SummaryTiles';
export type { SummaryTile } from './SummaryTiles';
