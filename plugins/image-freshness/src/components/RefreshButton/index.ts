export { RefreshButton, RefreshControl } from './RefreshButton';
export type { RefreshControlProps } from './RefreshButton';
