import type { VulnerabilityCounts } from 'backstage-plugin-image-freshness-common';

/**
 * The interfaces through which one feature reads what another keeps. The
 * feature that owns the data implements them; `features/core.ts` hands them
 * over, so no feature folder imports another's modules.
 */

/** Whether vulnerability counts are shown, and why not. */
export type VulnerabilityAvailability =
  | { available: true; scanner: string; version: string }
  | { available: false; reason: string };

/** The last good vulnerability counts of digests; digests never scanned are absent. */
export interface VulnerabilityCountsLookup {
  countsOf(
    digests: readonly string[],
  ): Promise<Map<string, VulnerabilityCounts>>;
}
