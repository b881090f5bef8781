/*
 * The Kubernetes API stand-in: no kube-apiserver can run on this machine, so
 * tests serve recorded, realistic objects over plain HTTP on a random
 * 127.0.0.1 port, with the real API's paths, list shapes, label selector
 * semantics and `kind: Status` errors. It replaces only the cluster: the real
 * Backstage Kubernetes backend talks to it exactly as it talks to a cluster,
 * through `kubernetes.clusterLocatorMethods` (see {@link clusterConfig}).
 *
 * What it serves (read-only):
 *   GET /api/v1[/namespaces/NS]/PLURAL[/NAME]
 *   GET /apis/GROUP/VERSION[/namespaces/NS]/PLURAL[/NAME]
 * for the resource types in {@link RESOURCE_TYPES}, which cover everything the
 * Kubernetes backend asks for by default. The metrics API (`metrics.k8s.io`) is
 * not served: it answers 404 like a cluster without metrics-server.
 *
 * Like the real API server, list items carry no `kind` or `apiVersion`
 * (kubernetes/kubernetes#3030) and come sorted by namespace and name (etcd's
 * key order). Lists page like the API server's: `limit=N` answers at most N
 * matching items and, when more remain, an opaque `metadata.continue` token
 * (plus `remainingItemCount` when no selector filters); `continue=TOKEN`
 * answers the next page from the same snapshot (resourceVersion) the first
 * page came from, even after the objects changed; a token whose snapshot is
 * gone (see `expireContinueTokens`) answers 410 `Expired`, a token that is
 * not one 400.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Object metadata, as far as the stand-in reads it. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  generateName?: string;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }>;
}

/** Any Kubernetes object: `apiVersion` and `kind` decide where it is served. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** A resource type the stand-in serves. */
export interface ResourceType {
  /** `''` for the core group */
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

/** Every resource type served; the Kubernetes backend's default object types are all here. */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  {
    group: '',
    version: 'v1',
    plural: 'services',
    kind: 'Service',
    namespaced: true,
  },
  {
    group: '',
    version: 'v1',
    plural: 'configmaps',
    kind: 'ConfigMap',
    namespaced: true,
  },
  {
    group: '',
    version: 'v1',
    plural: 'secrets',
    kind: 'Secret',
    namespaced: true,
  },
  {
    group: '',
    version: 'v1',
    plural: 'limitranges',
    kind: 'LimitRange',
    namespaced: true,
  },
  {
    group: '',
    version: 'v1',
    plural: 'resourcequotas',
    kind: 'ResourceQuota',
    namespaced: true,
  },
  {
    group: '',
    version: 'v1',
    plural: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    namespaced: true,
  },
  {
    group: '',
    version: 'v1',
    plural: 'persistentvolumes',
    kind: 'PersistentVolume',
    namespaced: false,
  },
  {
    group: '',
    version: 'v1',
    plural: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
  },
  {
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    kind: 'Deployment',
    namespaced: true,
  },
  {
    group: 'apps',
    version: 'v1',
    plural: 'replicasets',
    kind: 'ReplicaSet',
    namespaced: true,
  },
  {
    group: 'apps',
    version: 'v1',
    plural: 'statefulsets',
    kind: 'StatefulSet',
    namespaced: true,
  },
  {
    group: 'apps',
    version: 'v1',
    plural: 'daemonsets',
    kind: 'DaemonSet',
    namespaced: true,
  },
  {
    group: 'batch',
    version: 'v1',
    plural: 'jobs',
    kind: 'Job',
    namespaced: true,
  },
  {
    group: 'batch',
    version: 'v1',
    plural: 'cronjobs',
    kind: 'CronJob',
    namespaced: true,
  },
  {
    group: 'autoscaling',
    version: 'v2',
    plural: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    namespaced: true,
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'ingresses',
    kind: 'Ingress',
    namespaced: true,
  },
];

/** One request the stand-in received. The token itself is never recorded. */
export interface RecordedRequest {
  method: string;
  /** e.g. `/api/v1/namespaces/shop/pods` */
  path: string;
  /** decoded query parameters, e.g. `{ labelSelector: 'backstage.io/kubernetes-id=checkout' }` */
  query: Record<string, string>;
  /** whether `Authorization: Bearer TOKEN` carried the right token */
  authenticated: boolean;
  /** the status code answered */
  status: number;
}

/** Options for {@link startKubernetesStandIn}. */
export interface KubernetesStandInOptions {
  /** The service account token every request must carry as `Authorization: Bearer TOKEN`. */
  token: string;
  /** The objects in the cluster; see `kubernetes-fixtures.ts`. */
  objects?: KubernetesObject[];
  /**
   * Makes the cluster fail every request: 401 as if the token were revoked,
   * 500 as if etcd were down. Change it later with `setFailWith`.
   */
  failWith?: 401 | 500;
}

/** A running stand-in started by {@link startKubernetesStandIn}. */
export interface KubernetesStandIn {
  /** `http://127.0.0.1:PORT`, the cluster's `url` */
  url: string;
  /** Every request received so far, in order. */
  requests(): RecordedRequest[];
  /** Forgets the requests received so far. */
  clearRequests(): void;
  /** Replaces the cluster's objects (and bumps the resourceVersion). */
  setObjects(objects: KubernetesObject[]): void;
  /** Starts or stops failing every request. */
  setFailWith(failWith: 401 | 500 | undefined): void;
  /**
   * Requests received so far per path (query left out), e.g.
   * `{ '/api/v1/pods': 3 }`.
   */
  requestCounts(): Record<string, number>;
  /**
   * Makes every continue token issued so far expire, as etcd's compaction
   * does to a list that takes too long: the next page asked with one answers
   * 410 Expired.
   */
  expireContinueTokens(): void;
  /** Expires every continue token once `pages` more list pages have been answered. */
  expireContinueTokensAfter(pages: number): void;
  /** Closes the server and its connections. */
  stop(): Promise<void>;
}

/**
 * Starts the stand-in on a random 127.0.0.1 port.
 *
 * @example
 * const cluster = await startKubernetesStandIn({ token: 'sa-token', objects: buildAppObjects({...}) });
 * // config: kubernetes.clusterLocatorMethods[0].clusters: [clusterConfig('eu-west', cluster, 'sa-token')]
 * await cluster.stop();
 */
export async function startKubernetesStandIn(
  options: KubernetesStandInOptions,
): Promise<KubernetesStandIn> {
  let objects: KubernetesObject[] = [];
  let resourceVersion = 48_213_000;
  let failWith = options.failWith;
  let recorded: RecordedRequest[] = [];
  // Earlier states of the cluster, by resourceVersion, for continue tokens.
  let snapshots = new Map<number, KubernetesObject[]>();
  let expireAfterPages: number | undefined;
  const expire = () => {
    // as if other writes moved the cluster on and etcd compacted
    resourceVersion += 1000;
    snapshots = new Map([[resourceVersion, objects]]);
  };

  const setObjects = (next: KubernetesObject[]) => {
    objects = structuredClone(next);
    resourceVersion += 1 + next.length;
    snapshots.set(resourceVersion, objects);
    // etcd keeps a few revisions; so does the stand-in
    for (const rv of [...snapshots.keys()].slice(0, -4)) snapshots.delete(rv);
  };
  setObjects(options.objects ?? []);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const authenticated =
      req.headers.authorization === `Bearer ${options.token}`;
    const answer = (status: number, body: object) => {
      recorded.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        authenticated,
        status,
      });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };

    if (!authenticated || failWith === 401) {
      answer(401, statusBody(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    if (failWith === 500) {
      answer(
        500,
        statusBody(
          500,
          'InternalError',
          'Internal error occurred: etcdserver: request timed out',
          { causes: [{ message: 'etcdserver: request timed out' }] },
        ),
      );
      return;
    }
    const route = parsePath(url.pathname);
    if (!route) {
      answer(
        404,
        statusBody(
          404,
          'NotFound',
          'the server could not find the requested resource',
          {},
        ),
      );
      return;
    }
    if (req.method !== 'GET') {
      answer(
        405,
        statusBody(
          405,
          'MethodNotAllowed',
          `the stand-in is read-only: ${req.method} is not supported`,
          {},
        ),
      );
      return;
    }
    const { type, namespace, name } = route;
    const apiVersion = type.group
      ? `${type.group}/${type.version}`
      : type.version;

    // A continue token: the snapshot and the key after which the page starts.
    let snapshotRv = resourceVersion;
    let startAfter: string | undefined;
    const continueParam = url.searchParams.get('continue');
    if (name === undefined && continueParam) {
      const decoded = decodeContinue(continueParam);
      if (!decoded) {
        answer(
          400,
          statusBody(
            400,
            'BadRequest',
            'continue key is not valid: illegal base64 data at input byte 0',
          ),
        );
        return;
      }
      if (!snapshots.has(decoded.rv)) {
        answer(
          410,
          statusBody(
            410,
            'Expired',
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
          ),
        );
        return;
      }
      snapshotRv = decoded.rv;
      startAfter = decoded.start;
    }
    const limitParam = url.searchParams.get('limit');
    const limit = limitParam === null ? 0 : Number(limitParam);
    if (!Number.isInteger(limit)) {
      answer(
        400,
        statusBody(
          400,
          'BadRequest',
          `limit: Invalid value: "${limitParam}": must be an integer`,
        ),
      );
      return;
    }
    const ofType = (snapshots.get(snapshotRv) ?? objects).filter(
      o =>
        o.kind === type.kind &&
        groupOf(o.apiVersion) === type.group &&
        (!namespace || o.metadata.namespace === namespace),
    );

    if (name !== undefined) {
      const found = ofType.find(o => o.metadata.name === name);
      if (!found) {
        answer(
          404,
          statusBody(
            404,
            'NotFound',
            `${type.plural}${
              type.group ? `.${type.group}` : ''
            } "${name}" not found`,
            {
              name,
              ...(type.group ? { group: type.group } : {}),
              kind: type.plural,
            },
          ),
        );
        return;
      }
      answer(200, { ...found, apiVersion, kind: type.kind });
      return;
    }

    let requirements: LabelRequirement[];
    try {
      requirements = parseLabelSelector(
        url.searchParams.get('labelSelector') ?? '',
      );
    } catch (error) {
      answer(
        400,
        statusBody(
          400,
          'BadRequest',
          `unable to parse requirement: ${(error as Error).message}`,
        ),
      );
      return;
    }
    const matching = ofType
      .filter(o => matchesLabelSelector(o.metadata.labels ?? {}, requirements))
      .map(o => ({ key: storageKey(o), object: o }))
      .sort((a, b) => byteOrder(a.key, b.key))
      .filter(o => startAfter === undefined || o.key > startAfter);
    const page = limit > 0 ? matching.slice(0, limit) : matching;
    if (expireAfterPages !== undefined && --expireAfterPages <= 0) {
      expireAfterPages = undefined;
      setImmediate(expire);
    }
    const more = page.length < matching.length;
    answer(200, {
      kind: `${type.kind}List`,
      apiVersion,
      metadata: {
        resourceVersion: String(snapshotRv),
        ...(more
          ? {
              continue: encodeContinue(snapshotRv, page[page.length - 1].key),
              ...(requirements.length === 0
                ? { remainingItemCount: matching.length - page.length }
                : {}),
            }
          : {}),
      },
      // List items carry no kind or apiVersion, as the real API server answers.
      items: page.map(
        ({ object: { kind: _kind, apiVersion: _apiVersion, ...item } }) => item,
      ),
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => recorded.map(r => ({ ...r, query: { ...r.query } })),
    clearRequests: () => {
      recorded = [];
    },
    setObjects,
    setFailWith: next => {
      failWith = next;
    },
    requestCounts: () => {
      const counts: Record<string, number> = {};
      for (const r of recorded) counts[r.path] = (counts[r.path] ?? 0) + 1;
      return counts;
    },
    expireContinueTokens: expire,
    expireContinueTokensAfter: pages => {
      expireAfterPages = pages;
    },
    stop: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The cluster entry for `kubernetes.clusterLocatorMethods[].clusters` that
 * points the real Kubernetes backend at a stand-in.
 */
export function clusterConfig(
  name: string,
  standIn: Pick<KubernetesStandIn, 'url'>,
  token: string,
) {
  return {
    name,
    url: standIn.url,
    authProvider: 'serviceAccount',
    serviceAccountToken: token,
    skipTLSVerify: true,
    skipMetricsLookup: true,
  };
}

/** A `kind: Status` failure body, as the API server writes it. */
function statusBody(
  code: number,
  reason: string,
  message: string,
  details?: object,
): object {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

/** etcd's key order: by UTF-16 code unit, as bytes for these ASCII keys. */
function byteOrder(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Where etcd keeps an object: lists come in this order. */
function storageKey(o: KubernetesObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** A continue token as the API server makes one: base64 of `{v, rv, start}`. */
function encodeContinue(rv: number, lastKey: string): string {
  return Buffer.from(
    JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000` }),
  ).toString('base64url');
}

function decodeContinue(
  token: string,
): { rv: number; start: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      parsed?.v !== 'meta.k8s.io/v1' ||
      typeof parsed.rv !== 'number' ||
      typeof parsed.start !== 'string'
    ) {
      return undefined;
    }
    // the key the page starts after: the token's start less its NUL
    const start: string = parsed.start;
    return {
      rv: parsed.rv,
      start: start.endsWith('\u0000') ? start.slice(0, -1) : start,
    };
  } catch {
    return undefined;
  }
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/** Maps a request path onto a served resource type, or undefined for 404. */
function parsePath(
  pathname: string,
): { type: ResourceType; namespace?: string; name?: string } | undefined {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length < 1 || rest.length > 2) {
    return undefined;
  }
  const type = RESOURCE_TYPES.find(
    t => t.group === group && t.version === version && t.plural === rest[0],
  );
  if (!type || (namespace !== undefined && !type.namespaced)) {
    return undefined;
  }
  return { type, namespace, name: rest[1] };
}

// ---------------------------------------------------------------------------
// Label selectors, as k8s.io/apimachinery/pkg/labels parses them.

/** One parsed requirement of a label selector. */
export type LabelRequirement =
  | { key: string; operator: 'exists' | 'doesNotExist' }
  | { key: string; operator: '=' | '!='; value: string }
  | { key: string; operator: 'in' | 'notin'; values: string[] }
  | { key: string; operator: 'gt' | 'lt'; value: bigint };

const KEY_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const KEY_PREFIX =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * Parses a label selector: comma-separated requirements `key`, `!key`,
 * `key=value`, `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`,
 * `key>1`, `key<1`. Throws on anything the API server would reject.
 */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const tokens = tokenize(selector);
  const requirements: LabelRequirement[] = [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const expectIdentifier = (what: string) => {
    const token = next();
    if (!token || token.type !== 'identifier') {
      throw new Error(`found '${token?.text ?? ''}', expected: ${what}`);
    }
    return token.text;
  };

  while (i < tokens.length) {
    let requirement: LabelRequirement;
    if (peek().text === '!') {
      next();
      requirement = {
        key: checkKey(expectIdentifier('identifier')),
        operator: 'doesNotExist',
      };
    } else {
      const key = checkKey(expectIdentifier('identifier'));
      const op = peek();
      if (!op || op.text === ',') {
        requirement = { key, operator: 'exists' };
      } else if (op.text === '=' || op.text === '==' || op.text === '!=') {
        next();
        const valueToken = peek();
        const value =
          valueToken && valueToken.type === 'identifier' ? next().text : '';
        requirement = {
          key,
          operator: op.text === '!=' ? '!=' : '=',
          value: checkValue(value),
        };
      } else if (
        op.type === 'identifier' &&
        (op.text === 'in' || op.text === 'notin')
      ) {
        next();
        if (next()?.text !== '(') {
          throw new Error(`expected '(' after '${op.text}'`);
        }
        // As the API server reads a value list: `()` is the empty value; a
        // comma with nothing before it, or after it up to `)`, adds the empty
        // value; a doubled comma adds it and wants a value next (so `(a,,)`
        // is refused while `(a,,b)` and `(,,,)` are not).
        const values: string[] = [];
        if (peek()?.text === ')') {
          next();
          values.push('');
        } else {
          for (;;) {
            const token = next();
            if (token?.type === 'identifier') {
              values.push(checkValue(token.text));
              const after = peek();
              if (after?.text === ',') continue;
              if (after?.text === ')') break;
              throw new Error(
                `found '${after?.text ?? ''}', expected: ',' or ')'`,
              );
            }
            if (token?.text !== ',') {
              throw new Error(
                `found '${token?.text ?? ''}', expected: ',', or identifier`,
              );
            }
            if (values.length === 0) values.push('');
            if (peek()?.text === ')') {
              values.push('');
              break;
            }
            if (peek()?.text === ',') {
              next();
              values.push('');
            }
          }
          next(); // the ')'
        }
        requirement = { key, operator: op.text, values };
      } else if (op.text === '>' || op.text === '<') {
        next();
        const raw = expectIdentifier('integer');
        // an int64, and a valid label value too: no sign
        if (!/^\d+$/.test(checkValue(raw)) || BigInt(raw) >= 2n ** 63n) {
          throw new Error(
            `for 'Gt', 'Lt' operators, the value must be an integer`,
          );
        }
        requirement = {
          key,
          operator: op.text === '>' ? 'gt' : 'lt',
          value: BigInt(raw),
        };
      } else {
        throw new Error(
          `found '${op.text}', expected: in, notin, =, ==, !=, gt, lt`,
        );
      }
    }
    requirements.push(requirement);
    const separator = next();
    if (separator && separator.text !== ',') {
      throw new Error(
        `found '${separator.text}', expected: ',' or 'end of string'`,
      );
    }
    if (separator && i >= tokens.length) {
      throw new Error("found 'end of string', expected: identifier");
    }
  }
  return requirements;
}

/** Whether a set of labels satisfies every requirement. */
export function matchesLabelSelector(
  labels: Record<string, string>,
  requirements: LabelRequirement[],
): boolean {
  return requirements.every(r => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const value = labels[r.key];
    switch (r.operator) {
      case 'exists':
        return has;
      case 'doesNotExist':
        return !has;
      case '=':
        return has && value === r.value;
      case '!=':
        return !has || value !== r.value;
      case 'in':
        return has && r.values.includes(value);
      case 'notin':
        return !has || !r.values.includes(value);
      case 'gt':
      case 'lt': {
        // as Go's strconv.ParseInt reads the label's value
        if (!has || !/^[+-]?\d+$/.test(value)) return false;
        const n = BigInt(value);
        if (n >= 2n ** 63n || n < -(2n ** 63n)) return false;
        return r.operator === 'gt' ? n > r.value : n < r.value;
      }
      default:
        return false;
    }
  });
}

type Token = { type: 'identifier' | 'symbol'; text: string };

function tokenize(selector: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < selector.length) {
    const c = selector[i];
    if (/[ \t\r\n]/.test(c)) {
      i++;
    } else if ('(),'.includes(c)) {
      tokens.push({ type: 'symbol', text: c });
      i++;
    } else if (c === '!' || c === '=') {
      const two = selector.slice(i, i + 2);
      const text = two === '!=' || two === '==' ? two : c;
      tokens.push({ type: 'symbol', text });
      i += text.length;
    } else if (c === '>' || c === '<') {
      tokens.push({ type: 'symbol', text: c });
      i++;
    } else {
      let j = i;
      while (j < selector.length && !/[ \t\r\n(),!=<>]/.test(selector[j])) {
        j++;
      }
      tokens.push({ type: 'identifier', text: selector.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

function checkKey(key: string): string {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (
    !KEY_NAME.test(name) ||
    (prefix !== undefined && (prefix.length > 253 || !KEY_PREFIX.test(prefix)))
  ) {
    throw new Error(`key: Invalid value: "${key}": not a valid label key`);
  }
  return key;
}

function checkValue(value: string): string {
  if (value.length > 63 || !VALUE.test(value)) {
    throw new Error(
      `values[0]: Invalid value: "${value}": not a valid label value`,
    );
  }
  return value;
}
