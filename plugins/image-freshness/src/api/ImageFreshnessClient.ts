import { CompoundEntityRef } from '@backstage/catalog-model';
import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import type {
  EntityImageReport,
  EntityRebuilds,
  ImageFreshnessOverview,
  RebuildAttempt,
} from 'backstage-plugin-image-freshness-common';
import { ImageFreshnessApi, OverviewRequest } from './ImageFreshnessApi';

/** Talks to the image-freshness backend through discovery and fetchApi. @public */
export class ImageFreshnessClient implements ImageFreshnessApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async getEntityReport(entity: CompoundEntityRef): Promise<EntityImageReport> {
    const response = await this.fetchApi.fetch(await this.entityUrl(entity));
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as EntityImageReport;
  }

  async refreshEntity(entity: CompoundEntityRef): Promise<void> {
    const response = await this.fetchApi.fetch(
      `${await this.entityUrl(entity)}/refresh`,
      { method: 'POST' },
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
  }

  async getRebuilds(
    entity: CompoundEntityRef,
  ): Promise<EntityRebuilds | undefined> {
    const response = await this.fetchApi.fetch(
      await this.entityUrl(entity, 'rebuilds'),
    );
    // no rebuild module (or it is off): no such route
    if (response.status === 404) return undefined;
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    const body = (await response.json()) as Partial<EntityRebuilds>;
    // anything but the rebuild module's answer: no rebuilds to show
    return Array.isArray(body?.attempts) ? (body as EntityRebuilds) : undefined;
  }

  async triggerRebuild(
    entity: CompoundEntityRef,
    image: string,
  ): Promise<RebuildAttempt> {
    const response = await this.fetchApi.fetch(
      `${await this.entityUrl(entity, 'rebuilds')}/trigger`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ image }),
      },
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as RebuildAttempt;
  }

  async getOverview(request: OverviewRequest): Promise<ImageFreshnessOverview> {
    const base = await this.discoveryApi.getBaseUrl('image-freshness');
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(request)) {
      if (value !== undefined && value !== '') query.set(key, String(value));
    }
    const response = await this.fetchApi.fetch(`${base}/overview?${query}`);
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as ImageFreshnessOverview;
  }

  private async entityUrl(
    entity: CompoundEntityRef,
    collection: 'entities' | 'rebuilds' = 'entities',
  ): Promise<string> {
    const base = await this.discoveryApi.getBaseUrl('image-freshness');
    const parts = [entity.kind, entity.namespace, entity.name].map(
      encodeURIComponent,
    );
    return `${base}/${collection}/${parts.join('/')}`;
  }
}
