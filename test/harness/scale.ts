/*
 * Pieces shared by the tests and benchmarks that work at scale: a loop with
 * bounded concurrency, percentiles, many distinct images pushed to a real
 * registry, and a catalog file of annotation-declared entities.
 */
import { pushImage } from './images';
import { catalogYaml, TestComponent } from './catalog';

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function pool<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** The `p`th percentile (0–100) of ascending `sorted` values (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ];
}

/** The median of `values`, in any order (with an even count, the upper of the two middle ones). */
export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** An image {@link pushImageSet} pushed. */
export interface PushedRef {
  /** `HOST/REPO:TAG` with the host given */
  ref: string;
  repository: string;
  tag: string;
  digest: string;
}

/**
 * Pushes `count` distinct images, `bench/app<n % repositories>:v<n>`, each
 * with its own build time and content, and answers their references on
 * `host` (the registry's, or a proxy's in front of it).
 */
export async function pushImageSet(
  registryUrl: string,
  host: string,
  options: { count: number; repositories: number; concurrency?: number },
): Promise<PushedRef[]> {
  const refs: PushedRef[] = [];
  await pool(
    [...Array(options.count).keys()],
    options.concurrency ?? 8,
    async n => {
      const repository = `bench/app${n % options.repositories}`;
      const tag = `v${n}`;
      const { digest } = await pushImage(registryUrl, repository, tag, {
        created: new Date(Date.UTC(2026, 9, 1 + (n % 50))).toISOString(),
        labels: { 'org.opencontainers.image.version': tag },
        files: { 'id.txt': `image ${n}\n` },
      });
      refs[n] = {
        ref: `${host}/${repository}:${tag}`,
        repository,
        tag,
        digest,
      };
    },
  );
  return refs;
}

/** A catalog Component that declares its images in `image-freshness/images`. */
export interface AnnotatedEntity {
  name: string;
  images: string[];
  owner?: string;
}

/** The catalog file (YAML documents) for `entities`. */
export function annotatedEntitiesYaml(entities: AnnotatedEntity[]): string {
  return catalogYaml(entities.map(annotatedComponent));
}

/** The Component that declares an {@link AnnotatedEntity}'s images. */
export function annotatedComponent(entity: AnnotatedEntity): TestComponent {
  return {
    name: entity.name,
    owner: entity.owner,
    annotations: { 'image-freshness/images': entity.images.join(',') },
  };
}
