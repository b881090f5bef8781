import { CompoundEntityRef } from '@backstage/catalog-model';
import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import type {
  EntityImageReport,
  ImageFreshnessOverview,
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

  private async entityUrl(entity: CompoundEntityRef): Promise<string> {
    const base = await this.discoveryApi.getBaseUrl('image-freshness');
    const parts = [entity.kind, entity.namespace, entity.name].map(
      encodeURIComponent,
    );
    return `${base}/entities/${parts.join('/')}`;
  }
}
