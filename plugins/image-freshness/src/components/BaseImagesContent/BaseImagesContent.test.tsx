import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  APP_DIGEST,
  digest,
  fakeApi,
  fixClock,
  plainEntity,
  renderForEntity,
  report,
  responseError,
} from '../../__testUtils__/fixtures';
import { BaseImagesContent } from './BaseImagesContent';

fixClock();

function rowWith(text: string) {
  return within(screen.getAllByText(text)[0].closest('tr')!);
}

describe('BaseImagesContent', () => {
  it('shows a progress bar while the report loads', async () => {
    renderForEntity(
      <BaseImagesContent />,
      fakeApi(() => new Promise(() => {})),
    );
    expect(await screen.findByTestId('progress')).toBeInTheDocument();
  });

  it('counts the images by base verdict', async () => {
    renderForEntity(
      <BaseImagesContent />,
      fakeApi(async () => report),
    );
    expect(
      await screen.findByRole('button', { name: 'Images: 4' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Current: 1' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Base updated: 1' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Rebuild due: 1' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Unknown: 1' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Errors: 1' }),
    ).toBeInTheDocument();
  });

  it('shows per image its base, digests, newest tag, timing, verdict and the Dockerfile line', async () => {
    renderForEntity(
      <BaseImagesContent />,
      fakeApi(async () => report),
    );
    await screen.findByText('checkout:1.4.2');

    const app = rowWith('checkout:1.4.2');
    expect(app.getByText('managed')).toBeInTheDocument();
    expect(app.getByText(APP_DIGEST.slice(7, 19))).toHaveAttribute(
      'title',
      APP_DIGEST,
    );
    expect(app.getByText('node:22-bookworm-slim')).toBeInTheDocument();
    expect(app.getByText('docker.io/library/')).toBeInTheDocument();
    expect(app.getByText('tracked by SemVer')).toBeInTheDocument();
    expect(app.getByText(digest('11').slice(7, 19))).toBeInTheDocument();
    expect(app.getByText(digest('22').slice(7, 19))).toBeInTheDocument();
    expect(app.getByText('moved since the build')).toBeInTheDocument();
    expect(app.getByText('22.12.0-bookworm-slim')).toBeInTheDocument();
    expect(app.getByText('9 days ago')).toHaveAttribute(
      'title',
      expect.stringMatching(/November 13, 2026/),
    );
    expect(app.getByText(/^was due/)).toHaveTextContent('was due 2 days ago');
    expect(app.getByText('Rebuild due')).toBeInTheDocument();
    expect(
      app.getByText(/moved 9 days ago; the rebuild was due 2 days ago/),
    ).toBeInTheDocument();
    const link = app.getByRole('link', { name: /^Dockerfile:12/ });
    expect(link).toHaveAttribute(
      'href',
      'https://git.acme.test/shop/checkout/blob/main/Dockerfile#L12',
    );
    expect(
      app.getByText('FROM node:22-bookworm-slim AS runtime'),
    ).toBeInTheDocument();

    const envoy = rowWith('envoy:v1.30.1');
    expect(envoy.getByText('external')).toBeInTheDocument();
    expect(envoy.getByText('Annotation')).toBeInTheDocument();
    expect(envoy.getByText(/^due/)).toHaveTextContent('due in 6 days');
    expect(envoy.getByText('Base updated')).toBeInTheDocument();
    expect(envoy.getByText('tag in use')).toBeInTheDocument();

    const busybox = rowWith('busybox:1.36.1');
    expect(busybox.getByText('Label')).toBeInTheDocument();
    expect(busybox.getByText('Current')).toBeInTheDocument();
    expect(
      busybox.queryByText('moved since the build'),
    ).not.toBeInTheDocument();

    const redis = rowWith('redis:7.2.4-alpine');
    expect(redis.getByText('not known')).toBeInTheDocument();
    expect(
      redis.getByRole('note', { name: 'AUTHENTICATION error' }),
    ).toHaveTextContent(/Add or renew credentials/);
  });

  it('names a provenance source, and shows an inferred built-on digest as inferred, never as fact', async () => {
    const [managed] = report.baseImages;
    renderForEntity(
      <BaseImagesContent />,
      fakeApi(async () => ({
        ...report,
        baseImages: [
          {
            ...managed,
            image: 'registry.acme.test/shop/api:2.0',
            base: {
              ...managed.base!,
              name: 'registry.acme.test/base/runtime:1',
              source: {
                kind: 'provenance',
                provenance: {
                  attestation: digest('aa'),
                  predicateType: 'https://slsa.dev/provenance/v1',
                  uri: 'pkg:docker/registry.acme.test/base/runtime@1?platform=linux%2Famd64',
                  determinedBy: 'build-steps',
                  dockerfile: {
                    path: 'Dockerfile',
                    line: 4,
                    text: 'FROM registry.acme.test/base/runtime:1',
                  },
                },
              },
            },
          },
          {
            ...managed,
            image: 'registry.acme.test/shop/web:3.0',
            base: {
              ...managed.base!,
              builtOnInferred: 'build-time',
              source: {
                kind: 'provenance',
                provenance: {
                  attestation: digest('bb'),
                  predicateType: 'https://slsa.dev/provenance/v0.2',
                  uri: 'pkg:docker/node@22-bookworm-slim?platform=linux%2Famd64',
                  determinedBy: 'only-image',
                },
              },
            },
          },
          {
            ...managed,
            image: 'registry.acme.test/shop/cli:1.0',
            base: { ...managed.base!, builtOnInferred: 'first-seen' },
          },
        ],
      })),
    );
    await screen.findByText('api:2.0');
    const api = rowWith('api:2.0');
    expect(api.getByText('Provenance')).toBeInTheDocument();
    expect(
      api.getByText("SLSA v1, final stage's base, from the build steps"),
    ).toBeInTheDocument();
    expect(api.getByText('Dockerfile:4')).toBeInTheDocument();
    expect(
      api.getByText('FROM registry.acme.test/base/runtime:1'),
    ).toBeInTheDocument();
    expect(api.getByText(digest('aa').slice(7, 19))).toBeInTheDocument();
    expect(api.getByText('moved since the build')).toBeInTheDocument();
    expect(api.queryByText(/inferred/)).not.toBeInTheDocument();

    const web = rowWith('web:3.0');
    expect(
      web.getByText('SLSA v0.2, the only image the build used'),
    ).toBeInTheDocument();
    expect(
      web.getByText('pkg:docker/node@22-bookworm-slim?platform=linux%2Famd64'),
    ).toBeInTheDocument();
    expect(web.getByText('inferred from build time')).toHaveAttribute(
      'title',
      expect.stringMatching(/^No record of the digest the image was built on/),
    );
    expect(
      web.getByText('moved since the build (by the inferred digest)'),
    ).toBeInTheDocument();
    expect(web.queryByText('moved since the build')).not.toBeInTheDocument();

    const cli = rowWith('cli:1.0');
    expect(cli.getByText('assumed: first digest seen')).toBeInTheDocument();
  });

  it('lists the worst verdicts first and filters by a count', async () => {
    renderForEntity(
      <BaseImagesContent />,
      fakeApi(async () => report),
    );
    await screen.findByText('checkout:1.4.2');
    const verdicts = screen
      .getAllByRole('row')
      .slice(1)
      .map(r =>
        r.querySelector('[data-verdict]')?.getAttribute('data-verdict'),
      );
    expect(verdicts).toEqual(['rebuild-due', 'updated', 'unknown', 'current']);

    await userEvent.click(
      screen.getByRole('button', { name: 'Rebuild due: 1' }),
    );
    expect(
      screen.getByText('Showing the 1 of 4 images due for a rebuild'),
    ).toBeInTheDocument();
    expect(screen.queryByText('envoy:v1.30.1')).not.toBeInTheDocument();
    expect(screen.getByText('checkout:1.4.2')).toBeInTheDocument();
  });

  it('explains where bases come from when none is known yet', async () => {
    renderForEntity(
      <BaseImagesContent />,
      fakeApi(async () => ({ ...report, baseImages: [] })),
    );
    expect(
      await screen.findByText('No base images known yet'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/None of this entity's 5 images names its base yet/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /org.opencontainers.image.base.name annotation, BuildKit's provenance attestation, the same label/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Refresh' })).toBeEnabled();
  });

  it('explains the error when the report cannot be loaded', async () => {
    renderForEntity(
      <BaseImagesContent />,
      fakeApi(async () => {
        throw await responseError(404, 'No entity component:default/checkout');
      }),
    );
    expect(
      await screen.findByText('Error: Could not load the image report'),
    ).toBeInTheDocument();
    expect(
      screen.getAllByText(/No entity component:default\/checkout/).length,
    ).toBeGreaterThan(0);
  });

  it('shows the bases it has and names the sources that failed', async () => {
    renderForEntity(
      <BaseImagesContent />,
      fakeApi(async () => ({
        ...report,
        errors: [
          {
            source: 'kubernetes',
            class: 'AUTHENTICATION',
            message:
              'The Kubernetes backend answered 401 to the workloads query',
            advice: 'Check the backend credentials.',
            at: report.refreshedAt!,
          },
        ],
      })),
    );
    expect(
      await screen.findByText(
        'Warning: One source could not be read, so this report may be incomplete',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('checkout:1.4.2')).toBeInTheDocument();
  });

  it('explains the missing annotations for entities without them', async () => {
    renderForEntity(
      <BaseImagesContent />,
      fakeApi(async () => report),
      plainEntity,
    );
    expect(await screen.findByText(/Missing Annotation/i)).toBeInTheDocument();
  });
});
