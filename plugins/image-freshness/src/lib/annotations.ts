import {
  ANNOTATION_IMAGES,
  ANNOTATION_KUBERNETES_ID,
} from 'backstage-plugin-image-freshness-common';

/** The annotations that make an entity eligible, as the empty state shows them. */
export const IMAGE_FRESHNESS_ANNOTATIONS = [
  ANNOTATION_KUBERNETES_ID,
  ANNOTATION_IMAGES,
];
