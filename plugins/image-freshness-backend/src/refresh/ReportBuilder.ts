import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ANNOTATION_MAX_AGE,
  BaseImageReport,
  ContainerReport,
  EntityImageReport,
  ImageMetadata,
  VulnerabilityCounts,
  freshnessVerdict,
  parseDuration,
  unresolvedReason,
} from 'backstage-plugin-image-freshness-common';
import { DateTime, Duration } from 'luxon';
import { parseReference } from 'oci-client';
import type { BaseImageReports } from '../baseImages/BaseImageReports';
import type { EntityStore, StoredEntity } from './EntityStore';
import type {
  VulnerabilityAvailability,
  VulnerabilityCountsLookup,
} from '../lib/featurePorts';
import {
  type Clock,
  systemClock,
} from 'backstage-plugin-image-freshness-common';

/** The tag of a reference, or undefined when it has none or is malformed (its error says why). */
function tagOf(image: string): string | undefined {
  try {
    return parseReference(image).tag;
  } catch {
    return undefined;
  }
}

/** Where the report reads vulnerability summaries, when a scanner exists. */
export interface VulnerabilitySource {
  availability: VulnerabilityAvailability;
  severities: readonly string[];
  lookup: VulnerabilityCountsLookup;
}

/** Builds an entity's report from the store; never calls a registry. */
export class ReportBuilder {
  private readonly store: EntityStore;
  private readonly maxAge: Duration;
  private readonly baseImages?: Pick<BaseImageReports, 'build'>;
  private readonly vulnerabilities?: VulnerabilitySource;
  private readonly now: Clock;

  constructor(options: {
    store: EntityStore;
    maxAge: Duration;
    /** The base-images section, from its own store. */
    baseImages?: Pick<BaseImageReports, 'build'>;
    /** Vulnerability summaries per digest and whether the feature is available. */
    vulnerabilities?: VulnerabilitySource;
    now?: Clock;
  }) {
    this.store = options.store;
    this.maxAge = options.maxAge;
    this.baseImages = options.baseImages;
    this.vulnerabilities = options.vulnerabilities;
    this.now = options.now ?? systemClock;
  }

  async build(entity: Entity): Promise<EntityImageReport> {
    const stored = await this.store.getEntity(stringifyEntityRef(entity));
    const vulnerabilities = await this.vulnerabilityCounts(
      (stored?.containers ?? []).flatMap(c =>
        [c.digest, c.metadata?.digest].filter((d): d is string => !!d),
      ),
    );
    return this.assemble({
      entity,
      stored,
      baseImages: (await this.baseImages?.build(entity)) ?? [],
      vulnerabilities,
    });
  }

  /**
   * The report from facts already read (the org-wide overview reads every
   * entity's at once): the same verdicts as {@link ReportBuilder.build}, as
   * of now.
   */
  assemble(facts: {
    entity: Entity;
    stored: StoredEntity | undefined;
    /** The entity's base-images section (BaseImageReports). */
    baseImages: BaseImageReport[];
    vulnerabilities?: ReadonlyMap<string, VulnerabilityCounts>;
  }): EntityImageReport {
    const { entity, stored } = facts;
    const vulnerabilities = facts.vulnerabilities ?? new Map();
    const limit = this.entityMaxAge(entity);
    const maxAge = limit.duration;
    const now = DateTime.fromJSDate(this.now());
    return {
      entityRef: stringifyEntityRef(entity),
      refreshedAt: stored?.refreshedAt.toISOString(),
      maxAge: { duration: maxAge.toISO() ?? 'P30D', source: limit.source },
      errors: stored?.errors ?? [],
      baseImages: facts.baseImages,
      containers: (stored?.containers ?? []).map(c => ({
        container: c.container,
        workload: c.workload,
        image: c.image,
        tag: tagOf(c.image),
        runningDigest: c.runningDigest,
        ...reportedDigests(c.metadata),
        metadata: c.metadata,
        freshness: c.metadata
          ? freshnessVerdict({ created: c.metadata.created, maxAge, now })
          : { verdict: 'unknown', reason: unresolvedReason(c.error) },
        vulnerabilities:
          (c.digest && vulnerabilities.get(c.digest)) ||
          (c.metadata && vulnerabilities.get(c.metadata.digest)) ||
          undefined,
        resolvedAt: c.resolvedAt?.toISOString(),
        error: c.error,
      })),
      vulnerabilities: this.vulnerabilities && {
        available: this.vulnerabilities.availability.available,
        reason: this.vulnerabilities.availability.available
          ? undefined
          : this.vulnerabilities.availability.reason,
        severities: [...this.vulnerabilities.severities],
      },
    };
  }

  private async vulnerabilityCounts(
    digests: string[],
  ): Promise<Map<string, VulnerabilityCounts>> {
    if (!this.vulnerabilities?.availability.available) return new Map();
    return this.vulnerabilities.lookup.countsOf(digests);
  }

  private entityMaxAge(entity: Entity): {
    duration: Duration;
    source: 'annotation' | 'config';
  } {
    const value = entity.metadata.annotations?.[ANNOTATION_MAX_AGE];
    if (value) {
      try {
        return {
          duration: parseDuration(value, ANNOTATION_MAX_AGE),
          source: 'annotation',
        };
      } catch {
        // an unreadable annotation falls back to the configured limit
      }
    }
    return { duration: this.maxAge, source: 'config' };
  }
}

/** The tag's digest first (what pods, `/metrics` and registries' tools show); the chosen platform's manifest beside it for a multi-arch image. */
function reportedDigests(
  metadata: ImageMetadata | undefined,
): Pick<ContainerReport, 'digest' | 'platformDigest'> {
  if (!metadata) return {};
  if (!metadata.indexDigest) return { digest: metadata.digest };
  return { digest: metadata.indexDigest, platformDigest: metadata.digest };
}
