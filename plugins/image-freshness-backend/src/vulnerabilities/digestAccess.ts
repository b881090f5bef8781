import type {
  AuthService,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { EntityStore } from '../refresh/EntityStore';
import type { ScanStore } from '../scans/ScanStore';

/** Whether these credentials may read what the plugin knows of a digest. */
export type DigestAccess = (
  digest: string,
  credentials: BackstageCredentials,
) => Promise<boolean>;

/**
 * Who may read a digest's vulnerability summary (which names the image):
 * services always; a user when the digest is one a repository scan found
 * (`/scans` lists those to every signed-in user), or when the catalog lets
 * the user read an entity that runs it. Anyone else learns no more than of a
 * digest never seen, so a confidential entity's images stay as hidden as the
 * entity itself.
 */
export function createDigestAccess(options: {
  auth: AuthService;
  catalog: CatalogService;
  freshness: Pick<EntityStore, 'entityRefsWithDigest'>;
  scans: Pick<ScanStore, 'listScans'>;
}): DigestAccess {
  const { auth, catalog, freshness, scans } = options;
  return async (digest, credentials) => {
    if (auth.isPrincipal(credentials, 'service')) {
      return true;
    }
    const scanned = (await scans.listScans()).some(scan =>
      scan.images.some(image => image.digest === digest),
    );
    if (scanned) {
      return true;
    }
    const entityRefs = await freshness.entityRefsWithDigest(digest);
    if (entityRefs.length === 0) {
      return false;
    }
    const { items } = await catalog.getEntitiesByRefs(
      { entityRefs, fields: ['kind', 'metadata.namespace', 'metadata.name'] },
      { credentials },
    );
    return items.some(Boolean);
  };
}
