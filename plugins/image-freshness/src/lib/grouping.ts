import type {
  ContainerKind,
  ContainerReport,
  FreshnessVerdict,
} from 'backstage-plugin-image-freshness-common';
import { DateTime } from 'luxon';
import { driftOf, tagDigest, workloadPlace } from './format';
import { severity } from './summary';

/** How the table groups containers. */
export type Grouping = 'workload' | 'image';

/** Kinds that own others, and the kinds they own (Kubernetes' own controllers). */
const OWNED_BY: Partial<Record<ContainerKind, ContainerKind[]>> = {
  Pod: [
    'ReplicaSet',
    'StatefulSet',
    'DaemonSet',
    'Job',
    'Deployment',
    'CronJob',
  ],
  ReplicaSet: ['Deployment'],
  Job: ['CronJob'],
};

/**
 * One row of the grouped table: a controller's container with the
 * ReplicaSets and Pods it owns folded under it (by workload), or one image
 * reference with every workload that runs it (by image).
 */
export interface ContainerGroup {
  id: string;
  grouping: Grouping;
  /** The container whose facts the row shows: the controller's (by workload), the first (by image). */
  lead: ContainerReport;
  /** Every container of the group, the lead first. */
  members: ContainerReport[];
  /** The worst verdict of the members. */
  verdict: FreshnessVerdict;
  /** Build time of the lead's image, in milliseconds. */
  created?: number;
  /** Pods among the members. */
  pods: ContainerReport[];
  /** Distinct digests the pods run. */
  runningDigests: string[];
  /** Pods running another digest than the tag's current one. */
  drifting: ContainerReport[];
  /** Members with an error. */
  errors: ContainerReport[];
  /** Distinct image references of the members. */
  images: string[];
  /** Distinct controllers (`Kind name · cluster / namespace`) the group spans: by image, where it runs. */
  workloads: string[];
  /** Distinct clusters. */
  clusters: string[];
  /** Text a search matches: names, images, digests, labels, annotations, errors. */
  search: string;
}

function placeKey(c: ContainerReport): string {
  return `${c.workload.cluster ?? ''}|${c.workload.namespace ?? ''}`;
}

/**
 * The owner of a workload by Kubernetes' naming: a ReplicaSet is
 * `DEPLOYMENT-HASH`, a Pod `OWNER-SUFFIX` (`-0` for a StatefulSet), a Job of
 * a CronJob `CRONJOB-TIME`. The longest name of an owning kind, in the same
 * cluster and namespace, that the name starts with followed by `-`. The
 * report carries no ownerReferences (yet), so names are what is known.
 */
function ownerOf(
  c: ContainerReport,
  byPlace: Map<string, ContainerReport['workload'][]>,
): ContainerReport['workload'] | undefined {
  const kinds = OWNED_BY[c.workload.kind];
  if (!kinds) return undefined;
  let best: ContainerReport['workload'] | undefined;
  for (const w of byPlace.get(placeKey(c)) ?? []) {
    if (
      kinds.includes(w.kind) &&
      c.workload.name.startsWith(`${w.name}-`) &&
      (!best || w.name.length > best.name.length)
    ) {
      best = w;
    }
  }
  return best;
}

const workloadKey = (w: ContainerReport['workload']) =>
  `${w.cluster ?? ''}|${w.namespace ?? ''}|${w.kind}|${w.name}`;

/** `init container` or `ephemeral container`, from the seed's jsonpath. */
export function containerRole(jsonpath?: string): string | undefined {
  if (jsonpath?.includes('.initContainers[')) return 'init container';
  if (jsonpath?.includes('.ephemeralContainers[')) return 'ephemeral container';
  return undefined;
}

/** Where a container's image is declared, for "what to fix, where". */
export function declaredIn(c: ContainerReport): string {
  if (c.workload.kind === 'Annotation') {
    return "the entity's image-freshness/images annotation";
  }
  return `${workloadLabel(c.workload)}${
    c.workload.jsonpath ? `, ${c.workload.jsonpath}` : ''
  }`;
}

/** `Deployment checkout · eu-west-1 / shop` */
export function workloadLabel(w: ContainerReport['workload']): string {
  const place = workloadPlace(w);
  return `${w.kind} ${w.name}${place ? ` · ${place}` : ''}`;
}

function createdMillis(c: ContainerReport): number | undefined {
  const created = c.metadata?.created;
  if (!created) return undefined;
  const millis = DateTime.fromISO(created).toMillis();
  return Number.isFinite(millis) ? millis : undefined;
}

const distinct = (values: Array<string | undefined>) => [
  ...new Set(values.filter((v): v is string => !!v)),
];

function summarise(
  id: string,
  grouping: Grouping,
  members: ContainerReport[],
  controllers: ContainerReport['workload'][],
): ContainerGroup {
  const lead = members[0];
  const pods = members.filter(m => m.workload.kind === 'Pod');
  return {
    id,
    grouping,
    lead,
    members,
    verdict: members.reduce<FreshnessVerdict>(
      (worst, m) =>
        severity(m.freshness.verdict) > severity(worst)
          ? m.freshness.verdict
          : worst,
      lead.freshness.verdict,
    ),
    created: createdMillis(lead),
    pods,
    runningDigests: distinct(pods.map(p => p.runningDigest)),
    drifting: pods.filter(
      p => driftOf(p.runningDigest, p.metadata) === 'drift',
    ),
    errors: members.filter(m => m.error),
    images: distinct(members.map(m => m.image)),
    workloads: distinct(controllers.map(workloadLabel)),
    clusters: distinct(members.map(m => m.workload.cluster)),
    search: members
      .flatMap(m => [
        m.container,
        m.workload.name,
        m.workload.kind,
        workloadPlace(m.workload),
        m.workload.jsonpath,
        m.image,
        tagDigest(m),
        m.platformDigest ?? m.metadata?.digest,
        m.runningDigest,
        m.freshness.reason,
        m.error?.class,
        m.error?.message,
        ...Object.entries(m.metadata?.labels ?? {}).flat(),
        ...Object.entries(m.metadata?.annotations ?? {}).flat(),
      ])
      .filter(Boolean)
      .join(' ')
      .toLowerCase(),
  };
}

/** Each container's top controller (itself when it has no owner in the report). */
function rootsOf(
  containers: ContainerReport[],
): Map<ContainerReport, ContainerReport['workload']> {
  const byPlace = new Map<string, ContainerReport['workload'][]>();
  const seen = new Set<string>();
  for (const c of containers) {
    const key = workloadKey(c.workload);
    if (seen.has(key)) continue;
    seen.add(key);
    const list = byPlace.get(placeKey(c)) ?? [];
    list.push(c.workload);
    byPlace.set(placeKey(c), list);
  }
  const roots = new Map<ContainerReport, ContainerReport['workload']>();
  for (const c of containers) {
    let root = c.workload;
    for (let depth = 0; depth < 3; depth++) {
      const owner = ownerOf({ ...c, workload: root }, byPlace);
      if (!owner) break;
      root = owner;
    }
    roots.set(c, root);
  }
  return roots;
}

const KIND_ORDER: ContainerKind[] = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'CronJob',
  'Job',
  'ReplicaSet',
  'Pod',
  'Annotation',
];

/** Controllers before what they own: Deployment, then ReplicaSet, then Pod. */
function byOwnership(a: ContainerReport, b: ContainerReport): number {
  return (
    KIND_ORDER.indexOf(a.workload.kind) - KIND_ORDER.indexOf(b.workload.kind) ||
    a.workload.name.localeCompare(b.workload.name)
  );
}

/**
 * Groups containers by their top controller and container name (a
 * Deployment's `app` container with its ReplicaSets' and Pods' `app`
 * containers), or by image reference. Groups keep the containers' order of
 * first appearance.
 */
export function groupContainers(
  containers: ContainerReport[],
  grouping: Grouping,
): ContainerGroup[] {
  const roots = rootsOf(containers);
  const groups = new Map<string, ContainerReport[]>();
  for (const c of containers) {
    const key =
      grouping === 'image'
        ? c.image
        : `${workloadKey(roots.get(c)!)}|${c.container}`;
    const list = groups.get(key) ?? [];
    list.push(c);
    groups.set(key, list);
  }
  return [...groups.entries()].map(([key, members]) => {
    const sorted = [...members].sort(byOwnership);
    const controllers = new Map<string, ContainerReport['workload']>();
    for (const m of sorted) {
      const root = roots.get(m)!;
      controllers.set(workloadKey(root), root);
    }
    return summarise(`${grouping}:${key}`, grouping, sorted, [
      ...controllers.values(),
    ]);
  });
}

/** Columns the grouped table sorts by. */
export type GroupSortColumn = 'name' | 'built' | 'verdict' | 'pods';

/** The row's name as sorted: the controller (by workload) or the image (by image). */
function nameOf(g: ContainerGroup): string {
  return g.grouping === 'image'
    ? g.lead.image
    : `${g.lead.workload.name}/${g.lead.container}`;
}

/** Sorts groups; ties by name, so the order is stable. */
export function sortGroups(
  groups: ContainerGroup[],
  column: GroupSortColumn,
  direction: 'ascending' | 'descending',
): ContainerGroup[] {
  const sign = direction === 'ascending' ? 1 : -1;
  const compare = (a: ContainerGroup, b: ContainerGroup): number => {
    switch (column) {
      case 'built':
        return (
          (a.created ?? Number.MAX_SAFE_INTEGER) -
          (b.created ?? Number.MAX_SAFE_INTEGER)
        );
      case 'verdict':
        return (
          severity(a.verdict) - severity(b.verdict) ||
          (b.created ?? 0) - (a.created ?? 0)
        );
      case 'pods':
        return a.pods.length - b.pods.length;
      default:
        return nameOf(a).localeCompare(nameOf(b));
    }
  };
  return [...groups].sort(
    (a, b) => sign * compare(a, b) || nameOf(a).localeCompare(nameOf(b)),
  );
}

/** Groups whose text holds every word of `term` (case-insensitive). */
export function searchGroups(
  groups: ContainerGroup[],
  term: string,
): ContainerGroup[] {
  const words = term.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return groups;
  return groups.filter(g => words.every(w => g.search.includes(w)));
}
