import type { Entity } from '@backstage/catalog-model';

/** Catalog annotations the plugin reads. @public */
export const ANNOTATION_IMAGES = 'image-freshness/images';
/** @public */
export const ANNOTATION_DOCKERFILE = 'image-freshness/dockerfile';
/** @public */
export const ANNOTATION_MAX_AGE = 'image-freshness/max-age';
/** @public */
export const ANNOTATION_REBUILD_DELAY = 'image-freshness/rebuild-delay';
/** @public */
export const ANNOTATION_PLATFORM = 'image-freshness/platform';
/** Backstage's own Kubernetes annotations. @public */
export const ANNOTATION_KUBERNETES_ID = 'backstage.io/kubernetes-id';
/** @public */
export const ANNOTATION_KUBERNETES_LABEL_SELECTOR =
  'backstage.io/kubernetes-label-selector';
/** @public */
export const ANNOTATION_KUBERNETES_NAMESPACE =
  'backstage.io/kubernetes-namespace';
/** @public */
export const ANNOTATION_KUBERNETES_CLUSTER = 'backstage.io/kubernetes-cluster';

/**
 * Splits the `image-freshness/images` annotation (comma or newline separated)
 * into trimmed, de-duplicated references, in the order given.
 *
 * @public
 */
export function parseImagesAnnotation(value: string | undefined): string[] {
  if (!value) {
    return [];
  }
  const seen = new Set<string>();
  for (const part of value.split(/[,\n]/)) {
    const ref = part.trim();
    if (ref) {
      seen.add(ref);
    }
  }
  return [...seen];
}

/**
 * Whether the plugin has something to show for an entity: it runs on
 * Kubernetes or declares its images.
 *
 * @public
 */
export function isImageFreshnessAvailable(entity: Entity): boolean {
  const annotations = entity.metadata.annotations ?? {};
  return Boolean(
    annotations[ANNOTATION_IMAGES]?.trim() ||
      annotations[ANNOTATION_KUBERNETES_ID] ||
      annotations[ANNOTATION_KUBERNETES_LABEL_SELECTOR],
  );
}
