import { HumanDuration } from '@backstage/types';

export interface Config {
  imageFreshness?: {
    /**
     * The Kargo Warehouse export (`GET /api/image-freshness/kargo/warehouses`,
     * kargo module): a Warehouse for every repository Kargo must monitor.
     */
    kargo?: {
      /**
       * The namespace of the Kargo project the Warehouses belong to.
       * @default image-freshness
       */
      namespace?: string;
      /**
       * Each Warehouse's `spec.interval`: how often Kargo looks for new
       * artifacts. Whole seconds, at least 1s; written as Go prints a
       * duration (`5m0s`).
       * @default 5m
       */
      interval?: HumanDuration | string;
      /**
       * Each Warehouse's `spec.freightCreationPolicy`.
       * @default Automatic
       */
      freightCreationPolicy?: 'Automatic' | 'Manual';
    };
  };
}
