import type {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import {
  type CompoundEntityRef,
  type Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_IMAGES,
  ANNOTATION_KUBERNETES_ID,
  ANNOTATION_KUBERNETES_LABEL_SELECTOR,
  type EntityImageReport,
  type ErrorClass,
  isImageFreshnessAvailable,
} from 'backstage-plugin-image-freshness-common';

/** A report that could not be read, with its class from the project's one vocabulary. */
export class ReportReadError extends Error {
  constructor(message: string, readonly errorClass: ErrorClass) {
    super(message);
    this.name = 'ReportReadError';
  }
}

const STATUS_CLASSES: Array<[(status: number) => boolean, ErrorClass]> = [
  [s => s === 401 || s === 403, 'AUTHENTICATION'],
  [s => s === 404, 'NOT_FOUND'],
  [s => s === 408 || s === 504, 'TIMEOUT'],
  [s => s === 429, 'RATE_LIMITED'],
  [s => s >= 500, 'SERVER_ERROR'],
  [s => s >= 400, 'INVALID_REQUEST'],
];

const WHAT_TO_DO: Partial<Record<ErrorClass, string>> = {
  AUTHENTICATION:
    'check that the image-freshness backend accepts service tokens from tech-insights (backend.auth)',
  NOT_FOUND:
    'the entity left the catalog or the image-freshness plugin is not installed on this backend',
  TIMEOUT: 'retried on the next run',
  RATE_LIMITED: 'retried on the next run',
  SERVER_ERROR:
    "retried on the next run; see the image-freshness backend's logs",
};

function classOfStatus(status: number): ErrorClass {
  return STATUS_CLASSES.find(([test]) => test(status))?.[1] ?? 'UNKNOWN';
}

/**
 * Reads what the fact retriever needs from the other plugins, as a plugin
 * does: the catalog for the entities with image-freshness annotations, and
 * the image-freshness backend's HTTP API for each one's report, with the
 * tech-insights plugin's own service credentials.
 */
export class ReportReader {
  private readonly catalog: CatalogService;
  private readonly discovery: DiscoveryService;
  private readonly auth: AuthService;
  private readonly timeoutMs: number;

  constructor(options: {
    catalog: CatalogService;
    discovery: DiscoveryService;
    auth: AuthService;
    /** How long one report may take. */
    timeoutMs: number;
  }) {
    this.catalog = options.catalog;
    this.discovery = options.discovery;
    this.auth = options.auth;
    this.timeoutMs = options.timeoutMs;
  }

  /** The entities that carry an image-freshness or Kubernetes annotation. */
  async listEntities(
    credentials: BackstageCredentials,
  ): Promise<CompoundEntityRef[]> {
    const annotation = (key: string) => ({
      [`metadata.annotations.${key}`]: CATALOG_FILTER_EXISTS,
    });
    const entities: CompoundEntityRef[] = [];
    for await (const page of this.catalog.streamEntities(
      {
        filter: [
          annotation(ANNOTATION_IMAGES),
          annotation(ANNOTATION_KUBERNETES_ID),
          annotation(ANNOTATION_KUBERNETES_LABEL_SELECTOR),
        ],
        fields: [
          'kind',
          'metadata.namespace',
          'metadata.name',
          'metadata.annotations',
        ],
      },
      { credentials },
    )) {
      for (const entity of page as Entity[]) {
        if (isImageFreshnessAvailable(entity)) {
          entities.push({
            kind: entity.kind,
            namespace: entity.metadata.namespace ?? 'default',
            name: entity.metadata.name,
          });
        }
      }
    }
    return entities;
  }

  /** The entity's report as `GET /api/image-freshness/entities/:kind/:namespace/:name` serves it. */
  async readReport(
    entity: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<EntityImageReport> {
    const entityRef = stringifyEntityRef(entity);
    const baseUrl = await this.discovery.getBaseUrl('image-freshness');
    const { token } = await this.auth.getPluginRequestToken({
      onBehalfOf: credentials,
      targetPluginId: 'image-freshness',
    });
    const path = [
      entity.kind.toLocaleLowerCase('en-US'),
      entity.namespace.toLocaleLowerCase('en-US'),
      entity.name,
    ]
      .map(encodeURIComponent)
      .join('/');
    let res: Response;
    try {
      res = await fetch(`${baseUrl}/entities/${path}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      // fetch rejects a timed-out request with a DOMException, not an Error
      const name = (error as { name?: unknown } | undefined)?.name;
      const timedOut = name === 'TimeoutError' || name === 'AbortError';
      throw new ReportReadError(
        timedOut
          ? `The image-freshness backend did not answer the report of ${entityRef} within ${this.timeoutMs} ms; retried on the next run`
          : `Could not reach the image-freshness backend at ${baseUrl} for ${entityRef}: ${String(
              error,
            )}; retried on the next run`,
        timedOut ? 'TIMEOUT' : 'SERVER_ERROR',
      );
    }
    if (!res.ok) {
      const errorClass = classOfStatus(res.status);
      const body = await res.text().catch(() => '');
      const message = readErrorMessage(body);
      throw new ReportReadError(
        `The image-freshness backend answered ${
          res.status
        } for the report of ${entityRef}${message ? ` (${message})` : ''}; ${
          WHAT_TO_DO[errorClass] ?? 'see its logs'
        }`,
        errorClass,
      );
    }
    const report = await res.json().catch(() => undefined);
    if (!isReport(report)) {
      throw new ReportReadError(
        `The image-freshness backend answered something that is not an entity report for ${entityRef}; check that /api/image-freshness is the image-freshness plugin`,
        'SERVER_ERROR',
      );
    }
    return report;
  }
}

/** The message of a Backstage error body, if it is one. */
function readErrorMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body);
    const message = parsed?.error?.message;
    return typeof message === 'string' ? message.slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

function isReport(value: unknown): value is EntityImageReport {
  const v = value as EntityImageReport | undefined;
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray(v.containers) &&
    Array.isArray(v.baseImages)
  );
}
