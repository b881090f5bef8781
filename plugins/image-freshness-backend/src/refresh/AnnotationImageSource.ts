import type { Entity } from '@backstage/catalog-model';
import {
  ANNOTATION_IMAGES,
  parseImagesAnnotation,
} from 'backstage-plugin-image-freshness-common';
import type {
  ContainerSource,
  FoundContainers,
} from 'backstage-plugin-image-freshness-node';

/** Images an entity declares in `image-freshness/images`, as containers of kind Annotation. */
export class AnnotationImageSource implements ContainerSource {
  readonly name = 'annotation';

  async find(entity: Entity, platform: string): Promise<FoundContainers> {
    const images = parseImagesAnnotation(
      entity.metadata.annotations?.[ANNOTATION_IMAGES],
    );
    return {
      containers: images.map(image => ({
        key: `annotation/${image}`,
        container: 'annotation',
        workload: { kind: 'Annotation', name: entity.metadata.name },
        image,
        platform,
      })),
      errors: [],
    };
  }
}
