import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { Duration } from 'luxon';
import type { DistinctImage } from '../../lib/summary';
import { daysAgo, fixClock } from '../../__testUtils__/fixtures';
import { ImageAgeChart } from './ImageAgeChart';

fixClock();

const image = (
  name: string,
  days: number | undefined,
  verdict: DistinctImage['verdict'],
): DistinctImage => ({
  image: `registry.acme.test/team/${name}`,
  created: days === undefined ? undefined : daysAgo(days),
  verdict,
  reason: `built ${days} days ago`,
  containers: 1,
});

const bars = () =>
  screen
    .getAllByRole('img')
    .filter(e => e.getAttribute('data-verdict'))
    .map(e => e.getAttribute('aria-label'));

describe('ImageAgeChart', () => {
  it('draws one bar per image, oldest first, against the limit', async () => {
    renderInTestApp(
      <ImageAgeChart
        images={[
          image('api:1.0', 3, 'fresh'),
          image('worker:2.1', 45, 'stale'),
          image('cron:0.9', 20, 'aging'),
        ]}
        threshold={{
          maxAge: Duration.fromObject({ days: 30 }),
          source: 'backend',
        }}
      />,
    );
    expect(bars()).toEqual([
      'registry.acme.test/team/worker:2.1: built 45 days ago, stale',
      'registry.acme.test/team/cron:0.9: built 20 days ago, aging',
      'registry.acme.test/team/api:1.0: built 3 days ago, fresh',
    ]);
    expect(screen.getByText('worker:2.1')).toHaveAttribute(
      'title',
      'registry.acme.test/team/worker:2.1',
    );
    expect(screen.getByText('45 d')).toBeInTheDocument();
    expect(screen.getByText('fresh: under 15 days')).toBeInTheDocument();
    expect(screen.getByText('stale: over 30 days')).toBeInTheDocument();
    expect(
      screen.getByText("limit 30 days (the backend's imageFreshness.maxAge)"),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('figure', {
        name: 'Image ages against the 30 days limit',
      }),
    ).toBeInTheDocument();
  });

  it('counts what it does not draw: younger images beyond 12, and unknown build times', async () => {
    const images = Array.from({ length: 15 }, (_, i) =>
      image(`svc-${i}:1`, i + 1, 'fresh'),
    );
    images.push(image('legacy:1', undefined, 'unknown'));
    renderInTestApp(
      <ImageAgeChart
        images={images}
        threshold={{
          maxAge: Duration.fromObject({ days: 14 }),
          source: 'annotation',
        }}
      />,
    );
    expect(bars()).toHaveLength(12);
    expect(bars()[0]).toMatch(/svc-14:1: built 15 days ago/);
    expect(
      screen.getByText(
        /3 younger images not drawn\. Build time unknown for 1 image: registry.acme.test\/team\/legacy:1\./,
      ),
    ).toBeInTheDocument();
  });

  it('uses hours for short limits', async () => {
    renderInTestApp(
      <ImageAgeChart
        images={[image('nightly:latest', 0.5, 'aging')]}
        threshold={{
          maxAge: Duration.fromObject({ hours: 18 }),
          source: 'default',
        }}
      />,
    );
    expect(screen.getByText('12 h')).toBeInTheDocument();
    expect(screen.getByText('stale: over 18 hours')).toBeInTheDocument();
  });
});
