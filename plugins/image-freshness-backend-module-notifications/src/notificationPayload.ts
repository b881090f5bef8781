import {
  DEFAULT_NAMESPACE,
  type Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import type {
  NotificationPayload,
  NotificationSeverity,
} from '@backstage/plugin-notifications-common';
import { createHash } from 'node:crypto';
import type { TransitionKind } from './config';
import type { TransitionKey } from './TransitionStore';

/** A condition a report shows for one image: what the owner is told. */
export interface Condition {
  kind: TransitionKind;
  /** The image reference as the entity runs it. */
  image: string;
  /** The verdict's reason, e.g. `Built 45 days ago, older than the 30 days limit`. */
  reason: string;
  /** The image's digest, when resolved. */
  digest?: string;
  /** For `rebuild-due`: the base reference. */
  base?: string;
}

/** The notifications topic (user settings list it under the `plugin:image-freshness` origin). */
export const TOPIC = 'image-freshness';

/** The notifications backend keeps scopes and titles of up to 255 characters. */
const MAX_LENGTH = 255;

/** The entity tab a kind of notification links to, as the frontend plugin mounts it. */
const TABS: Record<TransitionKind, string> = {
  stale: 'image-freshness',
  'rebuild-due': 'base-images',
};

/** One string per entity, kind and image. */
export function transitionId(key: TransitionKey): string {
  return JSON.stringify([key.entityRef, key.kind, key.image]);
}

/**
 * The notification's scope: a repeat for the same entity, image and kind
 * updates the owner's notification instead of adding one.
 * `image-freshness:<kind>:<entityRef>:<image>`, or with a SHA-256 of the
 * entity and image where that would pass the 255 characters the
 * notifications backend keeps.
 */
export function notificationScope(key: TransitionKey): string {
  const scope = `image-freshness:${key.kind}:${key.entityRef}:${key.image}`;
  if (scope.length <= MAX_LENGTH) return scope;
  const hash = createHash('sha256')
    .update(`${key.entityRef}\n${key.image}`)
    .digest('hex');
  return `image-freshness:${key.kind}:sha256:${hash}`;
}

/** The app path of the entity's tab: `/catalog/:namespace/:kind/:name/<tab>`. */
export function entityTabLink(entity: Entity, tab: string): string {
  const namespace = (
    entity.metadata.namespace ?? DEFAULT_NAMESPACE
  ).toLocaleLowerCase('en-US');
  const kind = entity.kind.toLocaleLowerCase('en-US');
  return `/catalog/${[namespace, kind, entity.metadata.name, tab]
    .map(encodeURIComponent)
    .join('/')}`;
}

function clip(text: string): string {
  return text.length <= MAX_LENGTH ? text : `${text.slice(0, MAX_LENGTH - 1)}…`;
}

/** What the owner reads for `condition` of `entity`. */
export function notificationPayload(options: {
  entity: Entity;
  condition: Condition;
  severity: NotificationSeverity;
}): NotificationPayload {
  const { entity, condition, severity } = options;
  const name = entity.metadata.title ?? entity.metadata.name;
  const title =
    condition.kind === 'stale'
      ? `${name}: ${condition.image} is stale`
      : `${name}: a rebuild of ${condition.image} is due`;
  const description =
    condition.kind === 'stale'
      ? `${condition.reason}. Rebuild and redeploy it, or raise the entity's image-freshness/max-age if this age is expected.`
      : `${condition.reason}. Rebuild the image on the current ${
          condition.base ?? 'base'
        } and redeploy it.`;
  const entityRef = stringifyEntityRef(entity);
  return {
    title: clip(title),
    description,
    link: entityTabLink(entity, TABS[condition.kind]),
    severity,
    topic: TOPIC,
    scope: notificationScope({
      entityRef,
      kind: condition.kind,
      image: condition.image,
    }),
    metadata: {
      entityRef,
      kind: condition.kind,
      image: condition.image,
      ...(condition.digest && { digest: condition.digest }),
      ...(condition.base && { base: condition.base }),
    },
  };
}
