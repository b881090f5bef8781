import type { BaseVerdict, FreshnessVerdict, Verdict } from './api';
import type { ErrorClass } from './errors';

/**
 * The verdicts the org-wide overview filters on: an image's freshness
 * (`stale`, `aging`, `fresh`, `unknown`) and its base's (`rebuild-due`,
 * `updated`).
 *
 * @public
 */
export const OVERVIEW_VERDICTS = [
  'stale',
  'rebuild-due',
  'aging',
  'updated',
  'unknown',
  'fresh',
] as const;

/** @public */
export type OverviewVerdict = (typeof OVERVIEW_VERDICTS)[number];

/** One image of one entity, with where it runs and its verdicts. @public */
export interface OverviewRow {
  /** e.g. `component:default/checkout` */
  entityRef: string;
  /** The entity's `metadata.title`, when it has one. */
  title?: string;
  /** The owner's entity ref (the entity's `ownedBy` relation), e.g. `group:default/team-a`. */
  owner?: string;
  /** The system's entity ref (the `partOf` relation to a System). */
  system?: string;
  /** The reference as written, e.g. `ghcr.io/acme/api:1.4`. */
  image: string;
  tag?: string;
  /** The reference's registry host, e.g. `ghcr.io`. */
  registry: string;
  /** The tag's digest, as pods, `/metrics` and registries' tools show it. */
  digest?: string;
  /** The image's build time (ISO 8601), when it records one. */
  created?: string;
  freshness: Verdict<FreshnessVerdict>;
  /** The image's base and its verdict, when the base is known or looked for. */
  base?: {
    name?: string;
    verdict: Verdict<BaseVerdict>;
    /** When a rebuild is (or was) due (ISO 8601). */
    rebuildDueAt?: string;
  };
  /** How many containers run or declare the image. */
  containers: number;
  /** How many distinct workloads those containers belong to. */
  workloads: number;
  /** The clusters it runs on (none for annotation-declared images). */
  clusters: string[];
  /** The last resolve error: its class, message and what to do. */
  error?: { class: ErrorClass; message: string; advice: string };
}

/** Images counted by verdict. @public */
export interface OverviewCounts {
  /** Rows (entity, image). */
  images: number;
  stale: number;
  aging: number;
  fresh: number;
  unknown: number;
  rebuildDue: number;
  updated: number;
}

/** The answer of `GET /overview`. @public */
export interface ImageFreshnessOverview {
  /** The page: stale images and due rebuilds first. */
  items: OverviewRow[];
  /** Rows matching the filters, over all pages. */
  totalItems: number;
  offset: number;
  limit: number;
  /** Counts of the rows matching the filters. */
  totals: OverviewCounts;
  /** The same counts per owner (`owner` absent: entities without one), most stale and rebuild-due first. */
  owners: Array<OverviewCounts & { owner?: string }>;
  /** The values the filters can take, from every row the caller may read. */
  facets: { owners: string[]; systems: string[]; registries: string[] };
  /** When the verdicts were made (ISO 8601). */
  computedAt: string;
}
