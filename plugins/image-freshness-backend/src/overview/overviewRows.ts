import {
  type Entity,
  parseEntityRef,
  RELATION_OWNED_BY,
  RELATION_PART_OF,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import type {
  ContainerReport,
  EntityImageReport,
  ImageFreshnessOverview,
  OverviewCounts,
  OverviewRow,
  OverviewVerdict,
} from 'backstage-plugin-image-freshness-common';
import { imageRegistry } from 'oci-client';

/** A row as the entity's report gives it, before the catalog's owner and system. */
export type ImageRow = Omit<OverviewRow, 'title' | 'owner' | 'system'>;

/**
 * One row per distinct image of the report, with where it runs: the digest,
 * build time and freshness of the first container that resolved it (the
 * containers of one reference share them), and its base's verdict.
 */
export function imageRows(report: EntityImageReport): ImageRow[] {
  const byImage = new Map<string, ContainerReport[]>();
  for (const c of report.containers) {
    const list = byImage.get(c.image) ?? [];
    list.push(c);
    byImage.set(c.image, list);
  }
  return [...byImage].map(([image, containers]) => {
    const shown = containers.find(c => c.digest) ?? containers[0];
    const base = report.baseImages.find(b => b.image === image);
    const workloads = new Set(
      containers.map(c =>
        [
          c.workload.cluster,
          c.workload.namespace,
          c.workload.kind,
          c.workload.name,
        ].join('\n'),
      ),
    );
    const clusters = [
      ...new Set(
        containers.map(c => c.workload.cluster).filter((c): c is string => !!c),
      ),
    ].sort();
    return {
      entityRef: report.entityRef,
      image,
      tag: shown.tag,
      registry: imageRegistry(image),
      digest: shown.digest,
      created: shown.metadata?.created,
      freshness: shown.freshness,
      base: base && {
        name: base.base?.name,
        verdict: base.verdict,
        rebuildDueAt: base.base?.rebuildDueAt,
      },
      containers: containers.length,
      workloads: workloads.size,
      clusters,
      error: shown.error && {
        class: shown.error.class,
        message: shown.error.message,
        advice: shown.error.advice,
      },
    };
  });
}

/** The entity's owner and system as the catalog relates them (its spec when relations are absent). */
export function ownership(
  entity: Entity,
): Pick<OverviewRow, 'title' | 'owner' | 'system'> {
  const namespace = entity.metadata.namespace ?? 'default';
  const related = (type: string, kind?: string) =>
    entity.relations?.find(
      r =>
        r.type === type && (!kind || parseEntityRef(r.targetRef).kind === kind),
    )?.targetRef;
  const fromSpec = (key: string, defaultKind: string) => {
    const value = entity.spec?.[key];
    if (typeof value !== 'string' || !value) return undefined;
    try {
      return stringifyEntityRef(
        parseEntityRef(value, { defaultKind, defaultNamespace: namespace }),
      );
    } catch {
      return undefined;
    }
  };
  return {
    title: entity.metadata.title,
    owner: related(RELATION_OWNED_BY) ?? fromSpec('owner', 'group'),
    system: related(RELATION_PART_OF, 'system') ?? fromSpec('system', 'system'),
  };
}

/** What the caller asks the overview for. */
export interface OverviewQuery {
  offset: number;
  limit: number;
  owner?: string[];
  system?: string[];
  verdict?: OverviewVerdict[];
  registry?: string[];
  /** Matches entity refs, titles, images, owners and systems, case-insensitive. */
  q?: string;
}

/** Lower first: stale images and due rebuilds, then aging or moved bases, then unknown, then fresh. */
function urgency(row: ImageRow): number {
  const freshness = row.freshness.verdict;
  const base = row.base?.verdict.verdict;
  if (freshness === 'stale' || base === 'rebuild-due') return 0;
  if (freshness === 'aging' || base === 'updated') return 1;
  if (freshness === 'unknown') return 2;
  return 3;
}

/** Code-unit order (ISO times sort as times); absent values last. */
function compare(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a < b ? -1 : 1;
}

/** Most urgent first (see urgency), then the oldest build, then by entity and image. */
export function byUrgency(a: ImageRow, b: ImageRow): number {
  return (
    urgency(a) - urgency(b) ||
    // the oldest build first
    compare(a.created, b.created) ||
    compare(a.entityRef, b.entityRef) ||
    compare(a.image, b.image)
  );
}

/** `unknown` is the image's freshness; `rebuild-due` and `updated` are its base's. */
function hasVerdict(row: OverviewRow, verdict: OverviewVerdict): boolean {
  if (verdict === 'rebuild-due' || verdict === 'updated') {
    return row.base?.verdict.verdict === verdict;
  }
  return row.freshness.verdict === verdict;
}

function matches(row: OverviewRow, query: OverviewQuery): boolean {
  const { owner, system, verdict, registry, q } = query;
  if (owner && !owner.includes(row.owner ?? '')) return false;
  if (system && !system.includes(row.system ?? '')) return false;
  if (registry && !registry.includes(row.registry)) return false;
  if (verdict && !verdict.some(v => hasVerdict(row, v))) return false;
  if (q) {
    const text = q.toLocaleLowerCase('en-US');
    return [row.entityRef, row.title, row.image, row.owner, row.system].some(
      field => field?.toLocaleLowerCase('en-US').includes(text),
    );
  }
  return true;
}

function emptyCounts(): OverviewCounts {
  return {
    images: 0,
    stale: 0,
    aging: 0,
    fresh: 0,
    unknown: 0,
    rebuildDue: 0,
    updated: 0,
  };
}

function count(counts: OverviewCounts, row: OverviewRow) {
  counts.images += 1;
  counts[row.freshness.verdict] += 1;
  const base = row.base?.verdict.verdict;
  if (base === 'rebuild-due') counts.rebuildDue += 1;
  if (base === 'updated') counts.updated += 1;
}

/** Adds `value` to `set` when there is one. */
function collect(set: Set<string>, value: string | undefined) {
  if (value) set.add(value);
}

/**
 * The page the caller asked for: of `rows` (every row, most urgent first),
 * those of the entities in `readable` (the caller may read them) that match
 * the filters, with counts of them in total and per owner, and the values
 * each filter can take among the readable rows. One pass, in order: no
 * sorting per request.
 */
export function overviewPage(
  rows: readonly OverviewRow[],
  readable: ReadonlySet<string>,
  query: OverviewQuery,
  computedAt: Date,
): ImageFreshnessOverview {
  const totals = emptyCounts();
  const owners = new Map<string | undefined, OverviewCounts>();
  const facets = {
    owners: new Set<string>(),
    systems: new Set<string>(),
    registries: new Set<string>(),
  };
  const items: OverviewRow[] = [];
  const end = query.offset + query.limit;
  for (const row of rows) {
    if (!readable.has(row.entityRef)) continue;
    collect(facets.owners, row.owner);
    collect(facets.systems, row.system);
    collect(facets.registries, row.registry);
    if (!matches(row, query)) continue;
    if (totals.images >= query.offset && totals.images < end) items.push(row);
    count(totals, row);
    const counts = owners.get(row.owner) ?? emptyCounts();
    count(counts, row);
    owners.set(row.owner, counts);
  }
  return {
    items,
    totalItems: totals.images,
    offset: query.offset,
    limit: query.limit,
    totals,
    owners: [...owners]
      .map(([owner, counts]) => ({ ...(owner ? { owner } : {}), ...counts }))
      .sort(
        (a, b) =>
          b.stale + b.rebuildDue - (a.stale + a.rebuildDue) ||
          b.images - a.images ||
          compare(a.owner, b.owner),
      ),
    facets: {
      owners: [...facets.owners].sort(),
      systems: [...facets.systems].sort(),
      registries: [...facets.registries].sort(),
    },
    computedAt: computedAt.toISOString(),
  };
}
