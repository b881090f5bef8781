import { parseEntityRef } from '@backstage/catalog-model';

/**
 * An entity ref as people read it in a list: `team-a` for
 * `group:default/team-a`, the namespace kept when it is not `default`.
 */
export function humanizeRef(ref: string): string {
  try {
    const { namespace, name } = parseEntityRef(ref);
    return namespace === 'default' ? name : `${namespace}/${name}`;
  } catch {
    return ref;
  }
}
