import { z } from 'zod';
import type { VulnerabilityCounts } from 'backstage-plugin-image-freshness-node';
import { Severity, SEVERITIES } from './config';

export type { VulnerabilityCounts };

// Trivy's JSON report (`trivy image --format json`, SchemaVersion 2):
// { SchemaVersion, ArtifactName, ArtifactType, Metadata, Results: [{ Target,
// Class, Type, Vulnerabilities: [{ VulnerabilityID, PkgName, InstalledVersion,
// FixedVersion, Severity, ... }] | null }] }. Reports before SchemaVersion 2
// were the bare Results array. Only what is counted is checked.
const vulnerability = z
  .object({
    VulnerabilityID: z.string().optional(),
    Severity: z.string().optional(),
  })
  .passthrough();
const result = z
  .object({
    Target: z.string().optional(),
    Vulnerabilities: z.array(vulnerability).nullish(),
  })
  .passthrough();
const report = z
  .object({
    SchemaVersion: z.number().optional(),
    Results: z.array(result).nullish(),
  })
  .passthrough();
const legacyReport = z.array(result);

/** A report that is not Trivy's JSON. */
export class TrivyReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrivyReportError';
  }
}

/**
 * Counts a Trivy JSON report's vulnerabilities per severity, the way Trivy's
 * own summary does (each finding of each target once). Severities other than
 * Trivy's five count as UNKNOWN; only `severities` are counted.
 */
export function parseTrivyReport(
  input: string | unknown,
  severities: readonly Severity[] = SEVERITIES,
): VulnerabilityCounts {
  let json: unknown = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (error) {
      throw new TrivyReportError(
        `Trivy's output is not JSON (${
          (error as Error).message
        }); run it with --format json`,
      );
    }
  }
  const parsed = Array.isArray(json)
    ? legacyReport.safeParse(json)
    : report.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TrivyReportError(
      `Trivy's report does not have the documented shape (Results[].Vulnerabilities[].Severity): ${
        issue.path.join('.') || 'the report'
      }: ${issue.message}`,
    );
  }
  const results = Array.isArray(parsed.data)
    ? parsed.data
    : parsed.data.Results ?? [];
  const counts: Partial<Record<Severity, number>> = Object.fromEntries(
    severities.map(s => [s, 0]),
  );
  let total = 0;
  for (const entry of results) {
    for (const finding of entry.Vulnerabilities ?? []) {
      const said = (finding.Severity ?? '').toUpperCase();
      const severity = (SEVERITIES as readonly string[]).includes(said)
        ? (said as Severity)
        : 'UNKNOWN';
      if (counts[severity] !== undefined) {
        counts[severity]++;
        total++;
      }
    }
  }
  return { counts, total };
}
