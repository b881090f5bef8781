import type { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import type { VulnerabilitySeverity as Severity } from 'backstage-plugin-image-freshness-node';
import type { DigestAccess } from './digestAccess';
import type { VulnerabilityAvailability } from '../lib/featurePorts';
import type {
  VulnerabilityRecord,
  VulnerabilityStore,
} from './VulnerabilityStore';

/** An OCI digest: `algorithm:encoded`. */
export const digestSchema = z
  .string()
  .max(256)
  .regex(
    /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/,
    'must be a digest such as sha256:<64 hex digits>',
  );

/** A record as the API serves it. */
export function vulnerabilityView(record: VulnerabilityRecord) {
  return {
    digest: record.digest,
    reference: record.reference,
    counts: record.summary?.counts,
    total: record.summary?.total,
    scanner: record.summary?.scanner,
    scannedAt: record.summary?.scannedAt.toISOString(),
    lastAttemptAt: record.lastAttemptAt.toISOString(),
    error: record.error,
  };
}

/**
 * `GET /vulnerabilities`: whether vulnerability summaries are available on
 * this backend (the scanner found, its name and version) or why not, the severities counted,
 * and how many digests have counts. `GET /vulnerabilities/:digest`: one
 * digest's counts per severity (its last good scan) and its last attempt,
 * to callers `mayRead` lets see the digest (others get the 404 of a digest
 * never scanned). Both need user or service credentials.
 */
export function createVulnerabilitiesRouter(options: {
  httpAuth: HttpAuthService;
  store: Pick<VulnerabilityStore, 'get' | 'list'>;
  availability: VulnerabilityAvailability;
  severities: readonly Severity[];
  mayRead: DigestAccess;
}): express.Router {
  const { httpAuth, store, availability, severities, mayRead } = options;
  const router = Router();

  router.get('/vulnerabilities', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const records = await store.list();
    res.json({
      vulnerabilities: {
        available: availability.available,
        ...(availability.available
          ? {
              scanner: {
                name: availability.scanner,
                version: availability.version,
              },
            }
          : { reason: availability.reason }),
        severities,
        digests: records.filter(r => r.summary).length,
        failing: records.filter(r => r.error).length,
      },
    });
  });

  router.get('/vulnerabilities/:digest', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const digest = digestSchema.safeParse(req.params.digest);
    if (!digest.success) {
      throw new InputError(`Invalid digest: ${digest.error.issues[0].message}`);
    }
    const record = (await mayRead(digest.data, credentials))
      ? await store.get(digest.data)
      : undefined;
    if (!record) {
      throw new NotFoundError(
        availability.available
          ? `No vulnerability summary for ${digest.data} yet: only digests the plugin resolved are scanned, on the vulnerability task's schedule`
          : `No vulnerability summary for ${digest.data}: vulnerability scanning is unavailable (${availability.reason})`,
      );
    }
    res.json({
      available: availability.available,
      severities,
      ...vulnerabilityView(record),
    });
  });

  return router;
}
