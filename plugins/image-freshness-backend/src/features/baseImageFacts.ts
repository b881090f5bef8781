import type { BaseImageFacts } from 'backstage-plugin-image-freshness-node';
import type { BaseImageStore } from '../baseImages/BaseImageStore';
import { type BaseImagesConfig, trackingPolicyFor } from '../baseImages/config';

/**
 * The base-image facts modules read (`ImageFreshnessFeatureContext.baseImages`),
 * from the base-image store and the configured tracking policies.
 */
export function baseImageFacts(options: {
  store: Pick<BaseImageStore, 'listAllBaseImages'>;
  config: BaseImagesConfig;
}): BaseImageFacts {
  const { store, config } = options;
  return {
    async listImageUses() {
      return (await store.listAllBaseImages()).map(row => ({
        entityRef: row.entityRef,
        image: row.image,
        platform: row.platform,
        managed: row.managed,
        base:
          row.base && !row.base.scratch
            ? { reference: row.base.reference, tag: row.base.tag }
            : undefined,
      }));
    },
    trackingPolicyFor(repository) {
      const policy = trackingPolicyFor(config, repository);
      return {
        repository: policy.repository,
        strategy: policy.strategy,
        constraint: policy.constraint,
        allowTags: policy.allowTags.map(r => r.source),
        ignoreTags: policy.ignoreTags.map(r => r.source),
        discoveryLimit: policy.discoveryLimit,
      };
    },
  };
}
