import type {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import { imageFreshnessScansReadPermission } from 'backstage-plugin-image-freshness-common';
import { requirePermission } from 'backstage-plugin-image-freshness-node';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { repositoryKey } from '../baseImages/config';
import type { VulnerabilityCountsLookup } from '../lib/featurePorts';
import type { RepositoryScan, ScanStore } from './ScanStore';

const repositoryParam = z.string().min(1).max(512);

/** A scan as the API serves it. */
function scanView(scan: RepositoryScan) {
  return {
    ...scan,
    lastScanTime: scan.lastScanTime?.toISOString(),
    lastSuccessTime: scan.lastSuccessTime?.toISOString(),
  };
}

/**
 * `GET /scans`: every scanned repository with its last scan time, status
 * (`Success` or `Failed`), message and kept tags (digest, size, build time).
 * `GET /scans/:repository*` (e.g. `/scans/ghcr.io/acme/api`): that
 * repository's scans, each kept tag with its vulnerability counts when
 * known. Both need user or service credentials allowed
 * `image-freshness.scans.read` (403 otherwise).
 */
export function createScansRouter(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  store: Pick<ScanStore, 'listScans' | 'getScans'>;
  vulnerabilities?: VulnerabilityCountsLookup;
}): express.Router {
  const { httpAuth, permissions, store, vulnerabilities } = options;
  const router = Router();

  /** Every scans route: the caller's credentials, then the permission. */
  const authorize = (req: express.Request) =>
    requirePermission({ httpAuth, permissions }, req, {
      permission: imageFreshnessScansReadPermission,
      what: 'Reading repository scans',
    });

  router.get('/scans', async (req, res) => {
    await authorize(req);
    const scans = await store.listScans();
    res.json({ items: scans.map(scanView) });
  });

  router.get('/scans/:repository(*)', async (req, res) => {
    await authorize(req);
    const parsed = repositoryParam.safeParse(req.params.repository);
    if (!parsed.success) {
      throw new InputError(
        `Invalid repository: ${parsed.error.issues[0].message}`,
      );
    }
    let repository: string;
    try {
      repository = repositoryKey(parsed.data);
    } catch (error) {
      throw new InputError((error as Error).message);
    }
    const scans = await store.getScans(repository);
    if (scans.length === 0) {
      throw new NotFoundError(
        `${repository} is not scanned: add it to imageFreshness.scans, or wait for its first scan`,
      );
    }
    const counts = vulnerabilities
      ? await vulnerabilities.countsOf(
          scans.flatMap(s =>
            s.images.flatMap(i => (i.digest ? [i.digest] : [])),
          ),
        )
      : new Map();
    res.json({
      repository,
      scans: scans.map(scan => ({
        ...scanView(scan),
        images: scan.images.map(image => {
          const found = image.digest ? counts.get(image.digest) : undefined;
          return found ? { ...image, vulnerabilities: found } : image;
        }),
      })),
    });
  });

  return router;
}
