import { screen } from '@testing-library/react';
import {
  fakeApi,
  fixClock,
  plainEntity,
  renderForEntity,
  report,
  responseError,
} from '../../__testUtils__/fixtures';
import { ImageFreshnessCard } from './ImageFreshnessCard';

fixClock();

describe('ImageFreshnessCard', () => {
  it('headlines the stale images and rebuilds due, and links to the tab', async () => {
    renderForEntity(
      <ImageFreshnessCard />,
      fakeApi(async () => report),
    );
    expect(await screen.findByTestId('stale-images')).toHaveTextContent('1');
    expect(screen.getByText('stale image of 5')).toBeInTheDocument();
    expect(screen.getByTestId('rebuilds-due')).toHaveTextContent('1');
    expect(screen.getByText('rebuild due')).toBeInTheDocument();
    expect(
      screen.getByRole('img', { name: '1 fresh, 1 aging, 1 stale, 2 unknown' }),
    ).toBeInTheDocument();
    expect(screen.getByText(/Oldest:/)).toHaveTextContent(
      'Oldest: redis:7.2.4-alpine, built 120 days ago',
    );
    expect(screen.getByText('redis:7.2.4-alpine')).toHaveAttribute(
      'title',
      'registry.acme.test/platform/redis:7.2.4-alpine',
    );
    expect(screen.getByText(/Next rebuild due/)).toHaveTextContent(
      'Next rebuild due in 6 days: envoy:v1.30.1 (its base moved)',
    );
    expect(screen.getByText('envoy:v1.30.1')).toHaveAttribute(
      'title',
      'registry.acme.test/platform/envoy:v1.30.1',
    );
    expect(
      screen.getByText('1 image could not be checked.'),
    ).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /View images/ })).toHaveAttribute(
      'href',
      '/catalog/default/component/checkout/image-freshness',
    );
  });

  it('says when everything is fresh', async () => {
    renderForEntity(
      <ImageFreshnessCard />,
      fakeApi(async () => ({
        ...report,
        containers: report.containers.slice(0, 2),
        baseImages: [],
      })),
    );
    expect(await screen.findByTestId('stale-images')).toHaveTextContent('0');
    expect(screen.getByTestId('rebuilds-due')).toHaveTextContent('0');
    expect(screen.getByRole('img', { name: '1 fresh' })).toBeInTheDocument();
    expect(screen.queryByText(/could not be checked/)).not.toBeInTheDocument();
  });

  it('shows progress while the report loads', async () => {
    renderForEntity(
      <ImageFreshnessCard />,
      fakeApi(() => new Promise(() => {})),
    );
    expect(await screen.findByTestId('progress')).toBeInTheDocument();
    expect(screen.getByText('Image freshness')).toBeInTheDocument();
  });

  it('shows the error when the report cannot be loaded', async () => {
    renderForEntity(
      <ImageFreshnessCard />,
      fakeApi(async () => {
        throw await responseError(500, 'database is locked');
      }),
    );
    expect(
      await screen.findByText('Error: Could not load the image report'),
    ).toBeInTheDocument();
  });

  it('says when nothing was checked yet', async () => {
    renderForEntity(
      <ImageFreshnessCard />,
      fakeApi(async () => ({
        entityRef: 'component:default/checkout',
        containers: [],
        baseImages: [],
        errors: [],
      })),
    );
    expect(await screen.findByText(/Not checked yet/)).toBeInTheDocument();
  });

  it('explains the missing annotations for entities without them', async () => {
    renderForEntity(
      <ImageFreshnessCard />,
      fakeApi(async () => report),
      plainEntity,
    );
    expect(await screen.findByText(/Missing Annotation/i)).toBeInTheDocument();
  });
});
