/**
 * The Kargo module for the image-freshness backend plugin: Warehouses for
 * the repositories Kargo must monitor.
 *
 * @packageDocumentation
 */
export { imageFreshnessModuleKargo as default } from './module';
export { readKargoConfig, type KargoConfig } from './config';
export {
  buildWarehouses,
  warehouseName,
  type KargoImageSubscription,
  type KargoWarehouse,
} from './warehouses';
export { warehousesYaml } from './yaml';
