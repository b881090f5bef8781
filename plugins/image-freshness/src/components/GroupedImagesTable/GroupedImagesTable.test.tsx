import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ContainerReport } from 'backstage-plugin-image-freshness-common';
import {
  APP_DIGEST,
  containers,
  fixClock,
  manyContainers,
  PREVIOUS_APP_DIGEST,
} from '../../__testUtils__/fixtures';
import { groupContainers } from '../../lib/grouping';
import { GroupedImagesTable } from './GroupedImagesTable';

fixClock();

/** The body rows of the table (the header row left out). */
function bodyRows() {
  const [, ...rows] = screen.getAllByRole('row');
  return rows;
}

const short = (d: string) => d.replace('sha256:', '').slice(0, 12);

describe('groupContainers', () => {
  it('folds pods (and ReplicaSets) under their controller by name, per container', () => {
    const groups = groupContainers(containers, 'workload');
    expect(
      groups.map(g => [
        `${g.lead.workload.kind} ${g.lead.workload.name}/${g.lead.container}`,
        g.members.length,
      ]),
    ).toEqual([
      ['Deployment checkout/checkout', 1],
      // in us-east-1, where the report has no Deployment checkout: a row of its own
      ['Pod checkout-7d9f-abcde/checkout', 1],
      ['Pod checkout-7d9f-fghij/envoy', 1],
      ['StatefulSet checkout-cache/redis', 2],
      ['CronJob checkout-nightly-report/report', 1],
      ['Pod checkout-7d9f-fghij/debugger-7z2zv', 1],
    ]);
    const pod = groups[1];
    expect(pod.pods.map(p => p.workload.name)).toEqual(['checkout-7d9f-abcde']);
    expect(pod.drifting.map(p => p.runningDigest)).toEqual([
      PREVIOUS_APP_DIGEST,
    ]);
    // the pod of the StatefulSet runs the index digest of its tag: no drift
    const cache = groups[3];
    expect(cache.pods.map(p => p.workload.name)).toEqual(['checkout-cache-0']);
    expect(cache.drifting).toEqual([]);
    expect(cache.runningDigests).toHaveLength(1);
  });

  it('folds a ReplicaSet under its Deployment and its pods under both, and a Job under its CronJob', () => {
    const base = containers[0];
    const at = (kind: ContainerReport['workload']['kind'], name: string) => ({
      ...base,
      workload: { ...base.workload, kind, name },
    });
    const groups = groupContainers(
      [
        at('Pod', 'web-5f7c9-x2x9q'),
        at('ReplicaSet', 'web-5f7c9'),
        at('Deployment', 'web'),
        at('Deployment', 'web-admin'),
        at('Pod', 'web-admin-6b8d-abcde'),
        at('CronJob', 'sync'),
        at('Job', 'sync-29000000'),
        at('Pod', 'sync-29000000-q8w7e'),
      ],
      'workload',
    );
    expect(
      groups.map(g => [
        g.lead.workload.name,
        g.members.map(m => m.workload.kind),
      ]),
    ).toEqual([
      ['web', ['Deployment', 'ReplicaSet', 'Pod']],
      ['web-admin', ['Deployment', 'Pod']],
      ['sync', ['CronJob', 'Job', 'Pod']],
    ]);
  });

  it('by image: one group per reference, with the workloads and clusters that run it', () => {
    const groups = groupContainers(containers, 'image');
    expect(groups).toHaveLength(5);
    const app = groups.find(g => g.lead.image.endsWith('/checkout:1.4.2'))!;
    expect(app.members).toHaveLength(2);
    expect(app.workloads).toEqual([
      'Deployment checkout · eu-west-1 / shop',
      'Pod checkout-7d9f-abcde · us-east-1 / shop',
    ]);
    expect(app.clusters).toEqual(['eu-west-1', 'us-east-1']);
    expect(app.drifting).toHaveLength(1);
  });
});

describe('GroupedImagesTable', () => {
  it('shows one row per controller container, the pods and their drift summed up on it', async () => {
    await renderInTestApp(<GroupedImagesTable containers={containers} />);
    expect(await screen.findByText('6 workloads')).toBeInTheDocument();
    expect(bodyRows()).toHaveLength(6);
    const cache = within(
      screen.getByText('checkout-cache', { selector: 'div' }).closest('tr')!,
    );
    expect(
      cache.getByText('StatefulSet · eu-west-1 / shop'),
    ).toBeInTheDocument();
    expect(
      cache.getByText('container redis · 1 more folded'),
    ).toBeInTheDocument();
    expect(cache.getByText('1 pod')).toBeInTheDocument();
    expect(cache.getByText('In sync')).toBeInTheDocument();
    // the pod in us-east-1 (no Deployment reported there) drifts
    const app = within(
      screen
        .getByText('checkout-7d9f-abcde', { selector: 'div' })
        .closest('tr')!,
    );
    expect(app.getByText('⚠ Drift: 1 of 1')).toBeInTheDocument();
    expect(
      app.getByText(`runs ${short(PREVIOUS_APP_DIGEST)}`),
    ).toBeInTheDocument();
    // the tag's digest first
    expect(app.getByText(short(APP_DIGEST))).toBeInTheDocument();
  });

  it('expands a row to the containers folded under it and the digests, labelled', async () => {
    await renderInTestApp(<GroupedImagesTable containers={containers} />);
    await userEvent.click(
      await screen.findByRole('button', {
        name: 'Show details of checkout-cache redis',
      }),
    );
    const details = within(await screen.findByTestId('group-details'));
    expect(details.getByText('Folded under this row (2)')).toBeInTheDocument();
    expect(details.getByText('checkout-cache-0')).toBeInTheDocument();
    // the redis fixture is multi-arch: the tag's (index) digest and the amd64 manifest
    expect(details.getByText('tag digest')).toBeInTheDocument();
    expect(details.getByText('linux/arm64/v8 manifest')).toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', {
        name: 'Hide details of checkout-cache redis',
      }),
    );
    expect(screen.queryByTestId('group-details')).not.toBeInTheDocument();
  });

  it('groups by image on request, with where each image runs', async () => {
    await renderInTestApp(<GroupedImagesTable containers={containers} />);
    await userEvent.click(
      await screen.findByRole('radio', { name: 'By image' }),
    );
    expect(await screen.findByText('5 images')).toBeInTheDocument();
    expect(
      screen.getByRole('columnheader', { name: /Runs in/ }),
    ).toBeInTheDocument();
    const redis = within(
      screen.getAllByTitle(/platform\/redis:7.2.4-alpine$/)[0].closest('tr')!,
    );
    expect(
      redis.getByText('StatefulSet checkout-cache · eu-west-1 / shop'),
    ).toBeInTheDocument();
    expect(redis.getByText('1 cluster')).toBeInTheDocument();
    expect(redis.getByText('1 pod')).toBeInTheDocument();
  });

  it('searches the groups, also by a folded pod name and label values', async () => {
    await renderInTestApp(<GroupedImagesTable containers={containers} />);
    const search = await screen.findByRole('searchbox', {
      name: 'Search containers',
    });
    await userEvent.type(search, 'checkout-cache-0');
    await waitFor(() => expect(bodyRows()).toHaveLength(1));
    expect(screen.getByText('1 workload')).toBeInTheDocument();
    await userEvent.clear(search);
    await userEvent.type(search, 'no such thing');
    expect(
      await screen.findByText('No workload matches "no such thing".'),
    ).toBeInTheDocument();
  });

  it('narrows to the groups with a member the summary filter kept', async () => {
    const drifting = containers.filter(
      c => c.runningDigest === PREVIOUS_APP_DIGEST,
    );
    await renderInTestApp(
      <GroupedImagesTable containers={containers} matching={drifting} />,
    );
    expect(await screen.findByText('1 workload')).toBeInTheDocument();
    expect(screen.getByText('Pod · us-east-1 / shop')).toBeInTheDocument();
    // by image the whole group stays: both workloads running checkout:1.4.2
    await userEvent.click(screen.getByRole('radio', { name: 'By image' }));
    expect(await screen.findByText('1 image')).toBeInTheDocument();
    const app = within(bodyRows()[0]);
    expect(
      app.getByText('Deployment checkout · eu-west-1 / shop'),
    ).toBeInTheDocument();
    expect(
      app.getByText('Pod checkout-7d9f-abcde · us-east-1 / shop'),
    ).toBeInTheDocument();
  });

  it('sorts by a column header, and pages over groups', async () => {
    const many = manyContainers(60);
    await renderInTestApp(
      <GroupedImagesTable containers={many} initialGrouping="image" />,
    );
    expect(await screen.findByText('60 images')).toBeInTheDocument();
    // 25 groups a page; worst verdict first
    expect(bodyRows()).toHaveLength(25);
    expect(bodyRows()[0].getAttribute('data-verdict-row')).toBe('stale');
    await userEvent.click(screen.getByRole('button', { name: /next/i }));
    await userEvent.click(screen.getByRole('button', { name: /next/i }));
    await waitFor(() => expect(bodyRows()).toHaveLength(10));

    // sorting by image name starts again at the first page, A to Z
    await userEvent.click(screen.getByRole('columnheader', { name: /Image/ }));
    await waitFor(() => expect(bodyRows()).toHaveLength(25));
    expect(bodyRows()[0].textContent).toContain('service-0:1.0');
    expect(bodyRows()[1].textContent).toContain('service-0:1.40');
  });
});
