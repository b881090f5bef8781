/*
 * The package's two front doors, mounted: the legacy extensions at "." in an
 * app on the old frontend system, and the new system's extensions at
 * "./alpha". Both talk to a backend (a fetch answering like it) through the
 * plugin's own API factory.
 */
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import {
  ApiBlueprint,
  coreExtensionData,
} from '@backstage/frontend-plugin-api';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import {
  renderInTestApp as renderInLegacyApp,
  TestApiProvider as LegacyTestApiProvider,
} from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import type {
  EntityImageReport,
  ImageFreshnessOverview,
} from 'backstage-plugin-image-freshness-common';
import imageFreshnessAlphaPlugin, {
  baseImagesEntityContent,
  imageFreshnessApi,
  imageFreshnessEntityCard,
  imageFreshnessEntityContent,
  imageFreshnessPage,
} from './alpha';
import {
  EntityBaseImagesContent,
  EntityImageFreshnessCard,
  EntityImageFreshnessContent,
  ImageFreshnessApi,
  imageFreshnessApiRef,
  ImageFreshnessPage,
  imageFreshnessPlugin,
} from './index';
import {
  entity,
  fakeApi,
  fixClock,
  overview,
  plainEntity,
  renderForEntity,
  renderPage,
  report,
} from './__testUtils__/fixtures';

fixClock();

/** discoveryApi and fetchApi of a backend that serves `body` for every request. */
function backendDeps(body: EntityImageReport | ImageFreshnessOverview) {
  const urls: string[] = [];
  return {
    urls,
    deps: {
      discoveryApi: {
        getBaseUrl: async (pluginId: string) =>
          `http://backstage.test/api/${pluginId}`,
      },
      fetchApi: {
        fetch: async (url: RequestInfo | URL) => {
          urls.push(String(url));
          return new Response(JSON.stringify(body), {
            status: 200,
            headers: { 'content-type': 'application/json' },
          });
        },
      },
    },
  };
}

describe('legacy exports (.)', () => {
  let requested: string[] = [];

  function legacyApi(): ImageFreshnessApi {
    const factory = [...imageFreshnessPlugin.getApis()].find(
      f => f.api.id === imageFreshnessApiRef.id,
    )!;
    const { deps, urls } = backendDeps(report);
    requested = urls;
    return factory.factory(deps) as ImageFreshnessApi;
  }

  /** As an app's entity page would: tabs on routes, the card on the overview. */
  async function mount(path: string, subject = entity) {
    await renderInLegacyApp(
      <LegacyTestApiProvider apis={[[imageFreshnessApiRef, legacyApi()]]}>
        <EntityProvider entity={subject}>
          <Routes>
            <Route path="/" element={<EntityImageFreshnessCard />} />
            <Route
              path="/image-freshness"
              element={<EntityImageFreshnessContent />}
            />
            <Route path="/base-images" element={<EntityBaseImagesContent />} />
          </Routes>
        </EntityProvider>
      </LegacyTestApiProvider>,
      {
        routeEntries: [path],
        mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      },
    );
  }

  it('mounts the Image freshness tab with data from the backend', async () => {
    await mount('/image-freshness');
    expect(
      await screen.findByRole('button', { name: 'Containers: 7' }),
    ).toBeInTheDocument();
    expect(requested).toEqual([
      'http://backstage.test/api/image-freshness/entities/Component/default/checkout',
    ]);
    expect(screen.getByText('checkout-7d9f-abcde')).toBeInTheDocument();
  });

  it('mounts the Base images tab', async () => {
    await mount('/base-images');
    expect(
      await screen.findByRole('button', { name: 'Rebuild due: 1' }),
    ).toBeInTheDocument();
  });

  it('mounts the overview card, linking to the tab', async () => {
    await mount('/');
    expect(await screen.findByTestId('stale-images')).toHaveTextContent('1');
    expect(screen.getByRole('link', { name: /View images/ })).toHaveAttribute(
      'href',
      '/catalog/default/component/checkout/image-freshness',
    );
  });

  it('mounts the org-wide page, reading the overview from the backend', async () => {
    const factory = [...imageFreshnessPlugin.getApis()].find(
      f => f.api.id === imageFreshnessApiRef.id,
    )!;
    const { deps, urls } = backendDeps(overview);
    await renderInLegacyApp(
      <LegacyTestApiProvider
        apis={[
          [imageFreshnessApiRef, factory.factory(deps) as ImageFreshnessApi],
        ]}
      >
        <Routes>
          <Route path="/image-freshness" element={<ImageFreshnessPage />} />
        </Routes>
      </LegacyTestApiProvider>,
      {
        routeEntries: ['/image-freshness'],
        mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      },
    );
    expect(
      await screen.findByRole('link', { name: /Checkout/ }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/checkout/image-freshness',
    );
    expect(urls).toEqual([
      'http://backstage.test/api/image-freshness/overview?offset=0&limit=25',
    ]);
  });

  it('shows the missing annotations instead of asking the backend', async () => {
    await mount('/image-freshness', plainEntity);
    expect(await screen.findByText(/Missing Annotation/i)).toBeInTheDocument();
    expect(requested).toEqual([]);
  });
});

describe('new frontend system (./alpha)', () => {
  it('provides an API that reads reports from the backend', async () => {
    const factory = createExtensionTester(imageFreshnessApi).get(
      ApiBlueprint.dataRefs.factory,
    );
    const { deps, urls } = backendDeps(report);
    const api = factory.factory(deps) as ImageFreshnessApi;
    const answer = await api.getEntityReport({
      kind: 'Component',
      namespace: 'default',
      name: 'checkout',
    });
    expect(answer.containers).toHaveLength(7);
    expect(urls).toEqual([
      'http://backstage.test/api/image-freshness/entities/Component/default/checkout',
    ]);
  });

  it('adds two entity tabs and a card, shown only for entities with the annotations', () => {
    const images = createExtensionTester(imageFreshnessEntityContent);
    const bases = createExtensionTester(baseImagesEntityContent);
    expect(images.get(coreExtensionData.routePath)).toBe('/image-freshness');
    expect(bases.get(coreExtensionData.routePath)).toBe('/base-images');
    for (const filter of [
      images.get(EntityContentBlueprint.dataRefs.filterFunction)!,
      bases.get(EntityContentBlueprint.dataRefs.filterFunction)!,
      createExtensionTester(imageFreshnessEntityCard).get(
        EntityCardBlueprint.dataRefs.filterFunction,
      )!,
    ]) {
      expect(filter(entity)).toBe(true);
      expect(filter(plainEntity)).toBe(false);
    }
  });

  it('adds the org-wide page at /image-freshness, listed in the nav with its title and icon', async () => {
    const page = createExtensionTester(imageFreshnessPage);
    expect(page.get(coreExtensionData.routePath)).toBe('/image-freshness');
    expect(page.get(coreExtensionData.title)).toBe('Image freshness');
    expect(page.get(coreExtensionData.icon)).toBeTruthy();
    expect(imageFreshnessAlphaPlugin.routes.overview).toBe(
      page.get(coreExtensionData.routeRef),
    );
    renderPage(
      page.reactElement(),
      fakeApi(
        async () => report,
        undefined,
        async () => overview,
      ),
    );
    expect(
      await screen.findByRole('link', { name: /Checkout/ }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/checkout/image-freshness',
    );
  });

  it('renders the tab and the overview card from their loaders', async () => {
    const api = fakeApi(async () => report);
    renderForEntity(
      <>
        {createExtensionTester(imageFreshnessEntityContent).reactElement()}
        {createExtensionTester(imageFreshnessEntityCard).reactElement()}
      </>,
      api,
    );
    expect(
      await screen.findByRole('button', { name: 'Containers: 7' }),
    ).toBeInTheDocument();
    expect(await screen.findByTestId('stale-images')).toHaveTextContent('1');
  });
});
