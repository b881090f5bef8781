import { ConfigReader } from '@backstage/config';
import { createKeyFilter, readMetricsConfig } from './config';

const read = (metrics?: object) =>
  readMetricsConfig(
    new ConfigReader(
      metrics === undefined ? {} : { imageFreshness: { metrics } },
    ),
  );

describe('readMetricsConfig', () => {
  it('has the documented defaults', () => {
    const config = read();
    expect({
      ...config,
      reloadInterval: config.reloadInterval.toISO(),
    }).toEqual({
      public: false,
      labelKeys: [],
      annotationKeys: [],
      maxValueLength: 256,
      maxSeries: 200_000,
      reloadInterval: 'PT1M',
    });
    expect(read({}).maxSeries).toBe(200_000);
  });

  it('reads every setting', () => {
    const config = read({
      public: true,
      labelKeys: ['dev.chainguard.package.main', 'com.example.*'],
      annotationKeys: ['*'],
      maxValueLength: 64,
      maxSeries: 5000,
      reloadInterval: { seconds: 15 },
    });
    expect(config).toMatchObject({
      public: true,
      labelKeys: ['dev.chainguard.package.main', 'com.example.*'],
      annotationKeys: ['*'],
      maxValueLength: 64,
      maxSeries: 5000,
    });
    expect(config.reloadInterval.as('seconds')).toBe(15);
    expect(read({ reloadInterval: '30s' }).reloadInterval.as('seconds')).toBe(
      30,
    );
  });

  it('refuses values it cannot use, naming them', () => {
    expect(() => read({ maxSeries: 0 })).toThrow(
      'Invalid imageFreshness.metrics.maxSeries 0',
    );
    expect(() => read({ maxValueLength: 2.5 })).toThrow(
      'Invalid imageFreshness.metrics.maxValueLength 2.5',
    );
    expect(() => read({ labelKeys: ['a*b'] })).toThrow(
      'Invalid imageFreshness.metrics.labelKeys entry "a*b"',
    );
    expect(() => read({ annotationKeys: [' '] })).toThrow(
      'Invalid imageFreshness.metrics.annotationKeys entry " "',
    );
    expect(() => read({ reloadInterval: 'soon' })).toThrow(
      'Invalid imageFreshness.metrics.reloadInterval "soon"',
    );
    expect(() => read({ public: 'maybe' })).toThrow();
  });
});

describe('createKeyFilter', () => {
  it('allows every org.opencontainers.image.* key, exact keys and prefixes', () => {
    const allowed = createKeyFilter([
      'dev.chainguard.package.main',
      'com.acme.*',
    ]);
    expect(allowed('org.opencontainers.image.source')).toBe(true);
    expect(allowed('org.opencontainers.image.base.digest')).toBe(true);
    expect(allowed('org.opencontainers.imagex')).toBe(false);
    expect(allowed('dev.chainguard.package.main')).toBe(true);
    expect(allowed('dev.chainguard.package.mainx')).toBe(false);
    expect(allowed('com.acme.team')).toBe(true);
    expect(allowed('com.acme')).toBe(false);
    expect(allowed('maintainer')).toBe(false);
    expect(createKeyFilter(['*'])('maintainer')).toBe(true);
  });
});
