import type { VulnerabilityCountsLookup } from '../lib/featurePorts';
import type { VulnerabilityStore } from './VulnerabilityStore';

/** The counts of the last good scan of each digest, in the API's shape. */
export function vulnerabilityCountsLookup(
  store: Pick<VulnerabilityStore, 'getMany'>,
): VulnerabilityCountsLookup {
  return {
    async countsOf(digests) {
      const counts: Awaited<ReturnType<VulnerabilityCountsLookup['countsOf']>> =
        new Map();
      if (!digests.length) return counts;
      const records = await store.getMany([...new Set(digests)]);
      for (const [digest, record] of records) {
        if (!record.summary) continue;
        counts.set(digest, {
          counts: Object.fromEntries(
            Object.entries(record.summary.counts).filter(
              (entry): entry is [string, number] => entry[1] !== undefined,
            ),
          ),
          total: record.summary.total,
          scannedAt: record.summary.scannedAt.toISOString(),
        });
      }
      return counts;
    },
  };
}
