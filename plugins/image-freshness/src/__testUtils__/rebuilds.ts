/* Rebuild attempts shaped as the rebuild module answers them, and an API that serves them. */
import type {
  EntityRebuilds,
  RebuildAttempt,
} from 'backstage-plugin-image-freshness-common';
import type { ImageFreshnessApi } from '../api';
import { baseImages, fakeApi, NOW, report } from './fixtures';

const [checkout] = baseImages;
export const ago = (minutes: number) =>
  new Date(NOW.getTime() - minutes * 60_000).toISOString();
export const inMinutes = (minutes: number) =>
  new Date(NOW.getTime() + minutes * 60_000).toISOString();

export function attempt(overrides: Partial<RebuildAttempt>): RebuildAttempt {
  return {
    entityRef: 'component:default/checkout',
    image: checkout.image,
    baseName: checkout.base!.name,
    baseDigest: checkout.base!.currentDigest!,
    builtOnDigest: checkout.base!.builtOnDigest,
    provider: 'github',
    target: 'shop/checkout rebuild.yaml@main',
    trigger: 'scheduled',
    outcome: 'triggered',
    attempts: 1,
    attemptedAt: ago(120),
    finishedAt: ago(120),
    ...overrides,
  };
}

/** An API whose rebuild routes answer `attempts`; a trigger records `triggered` (or throws `refusal`). */
export function rebuildApi(
  attempts: RebuildAttempt[],
  options: { triggered?: RebuildAttempt; refusal?: Error } = {},
): ImageFreshnessApi {
  let current = attempts;
  return {
    ...fakeApi(async () => report),
    getRebuilds: async (): Promise<EntityRebuilds> => ({
      entityRef: 'component:default/checkout',
      attempts: current,
    }),
    triggerRebuild: async () => {
      if (options.refusal) throw options.refusal;
      current = [options.triggered!, ...current];
      return options.triggered!;
    },
  };
}
