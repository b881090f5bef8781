/**
 * Fuzzes how the backend reads an entity's annotations: `image-freshness/images`
 * through AnnotationImageSource, `image-freshness/platform` through the
 * platform parser the resolver uses, `image-freshness/max-age` through the
 * real ReportBuilder over SQLite, and `image-freshness/rebuild-delay` through
 * BaseImageReports into the base verdict. Every value gives a sensible answer
 * (containers of the listed images, a platform that round-trips, the
 * annotation's limit or the configured one with verdicts that follow from it,
 * a rebuild date that is a date) or a classified OciError; never a crash or a
 * hang.
 */
import type { Entity } from '@backstage/catalog-model';
import {
  expectClassified,
  fuzzRuns,
  runCase,
  runCaseAsync,
} from '@internal/test/harness/fuzz';
import {
  ANNOTATION_IMAGES,
  ANNOTATION_MAX_AGE,
  ANNOTATION_REBUILD_DELAY,
  parseDuration,
  parseImagesAnnotation,
} from 'backstage-plugin-image-freshness-common';
import fc from 'fast-check';
import { DateTime, Duration } from 'luxon';
import { formatPlatform, OciError, parsePlatform } from 'oci-client';
import { BaseImageReports, toReport } from '../baseImages/BaseImageReports';
import { KnexBaseImageStore } from '../baseImages/KnexBaseImageStore';
import { KnexRegistryCache } from '../registry/KnexRegistryCache';
import { KnexEntityStore } from './KnexEntityStore';
import { storeTestDatabases } from '../__testUtils__/testDatabases';
import { AnnotationImageSource } from './AnnotationImageSource';
import { ReportBuilder } from './ReportBuilder';

const NOW = new Date('2026-11-22T12:00:00Z');
const BUILT = '2026-11-01T12:00:00.000Z';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const CONFIGURED = Duration.fromObject({ days: 30 });

const entity = (annotations: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'api', annotations },
});

/** Annotation values: arbitrary text, and near-valid forms of each kind. */
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const durationText = fc.oneof(
  text,
  fc
    .tuple(
      fc.constantFrom('', ' ', '-', 'P', 'PT', '\t'),
      fc.oneof(
        fc.nat({ max: 400 }).map(String),
        fc.constantFrom('1.5', '0', '9'.repeat(30)),
      ),
      fc.constantFrom(
        'd',
        'h',
        'w',
        'y',
        'm',
        's',
        'ms',
        'D',
        'H',
        'M',
        'Y',
        ' d',
        'x',
        '',
      ),
    )
    .map(parts => parts.join('')),
);

let cases = 0;
const databases = storeTestDatabases();

/** The one value the annotation means, or undefined when it is unusable. */
function meant(value: string): Duration | undefined {
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}

describe('entity annotations under fuzzing', () => {
  let reports: ReportBuilder;
  let baseReports: BaseImageReports;

  beforeAll(async () => {
    const database = await databases.database('SQLITE_3');
    const store = await KnexEntityStore.create({ database });
    await (
      await KnexRegistryCache.create({ database })
    ).putMetadata(
      DIGEST,
      'linux/amd64',
      {
        digest: DIGEST,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        created: BUILT,
        labels: {},
        annotations: {},
        size: 1,
      },
      NOW,
    );
    await store.saveEntity({
      entityRef: 'component:default/api',
      info: {},
      refreshedAt: NOW,
      sourceErrors: [],
      containers: [
        {
          key: 'annotation/r/api:1',
          container: 'annotation',
          workload: { kind: 'Annotation', name: 'api' },
          image: 'r/api:1',
          platform: 'linux/amd64',
          outcome: { digest: DIGEST, resolvedAt: NOW },
        },
      ],
    });
    reports = new ReportBuilder({ store, maxAge: CONFIGURED, now: () => NOW });
    baseReports = new BaseImageReports({
      store: await KnexBaseImageStore.create({ database }),
      rebuildDelay: Duration.fromObject({ days: 7 }),
      now: () => NOW,
    });
  });

  it('image-freshness/images: one Annotation container per listed image', async () => {
    const before = cases;
    const source = new AnnotationImageSource();
    const list = fc.oneof(
      text,
      fc
        .array(
          fc.oneof(
            text,
            fc.constantFrom(
              'nginx:1',
              ' ghcr.io/a/b:2 ',
              'user:t0k3n@r.io/x:1',
            ),
          ),
          { maxLength: 6 },
        )
        .chain(items =>
          fc.constantFrom(',', '\n', ' ,\r\n').map(sep => items.join(sep)),
        ),
    );
    await fc.assert(
      fc.asyncProperty(list, text, async (value, platform) => {
        cases++;
        const outcome = await runCaseAsync(value, () =>
          source.find(entity({ [ANNOTATION_IMAGES]: value }), platform),
        );
        if (!outcome.ok) expectClassified(outcome.error, () => false, value);
        const found = (
          outcome as { value: Awaited<ReturnType<typeof source.find>> }
        ).value;
        expect(found.errors).toEqual([]);
        expect(found.containers.map(c => c.image)).toEqual(
          parseImagesAnnotation(value),
        );
        expect(new Set(found.containers.map(c => c.key)).size).toBe(
          found.containers.length,
        );
        for (const c of found.containers) {
          expect(c).toMatchObject({
            container: 'annotation',
            workload: { kind: 'Annotation', name: 'api' },
            platform,
          });
        }
      }),
      fuzzRuns(3000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(3000);
  });

  it('image-freshness/platform: a platform that round-trips, or INVALID_REQUEST naming the value', () => {
    const before = cases;
    const platform = fc.oneof(
      text,
      fc
        .array(
          fc.constantFrom(
            'linux',
            'Linux',
            'amd64',
            'x86_64',
            'aarch64',
            'arm',
            'v7',
            '',
            ' ',
            'ü',
            '..',
          ),
          {
            maxLength: 4,
          },
        )
        .map(parts => parts.join('/')),
    );
    fc.assert(
      fc.property(platform, value => {
        cases++;
        // As EntityRefresher does: the trimmed annotation, else the configured platform.
        const written = value.trim() || 'linux/amd64';
        const outcome = runCase(written, () => parsePlatform(written));
        if (!outcome.ok) {
          expectClassified(
            outcome.error,
            e =>
              e instanceof OciError &&
              e.code === 'INVALID_REQUEST' &&
              e.message.includes(`"${written}"`),
            written,
          );
          return;
        }
        expect(parsePlatform(formatPlatform(outcome.value))).toEqual(
          outcome.value,
        );
      }),
      fuzzRuns(3000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(3000);
  });

  it('image-freshness/max-age: the annotation when usable, else the configured limit; verdicts follow', async () => {
    const before = cases;
    await fc.assert(
      fc.asyncProperty(durationText, async value => {
        cases++;
        const outcome = await runCaseAsync(value, () =>
          reports.build(entity({ [ANNOTATION_MAX_AGE]: value })),
        );
        if (!outcome.ok) expectClassified(outcome.error, () => false, value);
        const report = (
          outcome as { value: Awaited<ReturnType<ReportBuilder['build']>> }
        ).value;
        const limit = (value && meant(value)) || undefined;
        const duration = limit ?? CONFIGURED;
        expect(report.maxAge).toEqual({
          duration: duration.toISO(),
          source: limit ? 'annotation' : 'config',
        });
        const served = Duration.fromISO(report.maxAge?.duration ?? '');
        expect(served.isValid && served.toMillis() >= 0).toBe(true);
        const age = NOW.getTime() - Date.parse(BUILT);
        const max = duration.toMillis();
        let verdict = 'fresh';
        if (age > max) verdict = 'stale';
        else if (age > max / 2) verdict = 'aging';
        expect(report.containers.map(c => c.freshness.verdict)).toEqual([
          verdict,
        ]);
      }),
      fuzzRuns(2000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(2000);
  });

  it('image-freshness/rebuild-delay: the annotation when usable, else the configured delay; the due date is a date', () => {
    const before = cases;
    const movedAt = new Date('2026-11-10T00:00:00Z');
    fc.assert(
      fc.property(durationText, value => {
        cases++;
        const outcome = runCase(value, () => {
          const delay = baseReports.rebuildDelayFor(
            entity({ [ANNOTATION_REBUILD_DELAY]: value }),
          );
          return {
            delay,
            report: toReport(
              {
                entityRef: 'component:default/api',
                image: 'r/api:1',
                platform: 'linux/amd64',
                managed: true,
                base: {
                  name: 'node:22',
                  reference: 'docker.io/library/node:22',
                  tag: '22',
                  source: { kind: 'annotation' },
                  strategy: 'Digest',
                  builtOnDigest: `sha256:${'b'.repeat(64)}`,
                  currentDigest: `sha256:${'c'.repeat(64)}`,
                  movedAt,
                },
              },
              delay,
              DateTime.fromJSDate(NOW, { zone: 'utc' }),
            ),
          };
        });
        if (!outcome.ok) expectClassified(outcome.error, () => false, value);
        const { delay, report } = (
          outcome as {
            value: { delay: Duration; report: ReturnType<typeof toReport> };
          }
        ).value;
        const want =
          (value && meant(value)) || Duration.fromObject({ days: 7 });
        expect(delay.toMillis()).toBe(want.toMillis());
        const due = DateTime.fromJSDate(movedAt, { zone: 'utc' }).plus(want);
        expect(report.base?.rebuildDueAt).toBe(due.toUTC().toISO());
        // A date a person (and the UI) can read, whatever the annotation said.
        expect(DateTime.fromISO(report.base?.rebuildDueAt ?? '').isValid).toBe(
          true,
        );
        expect(report.verdict.verdict).toBe(
          due <= DateTime.fromJSDate(NOW) ? 'rebuild-due' : 'updated',
        );
      }),
      fuzzRuns(2000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(2000);
  });

  it('ran at least 10,000 generated cases in all', () => {
    expect(cases).toBeGreaterThanOrEqual(10_000);
  });
});
