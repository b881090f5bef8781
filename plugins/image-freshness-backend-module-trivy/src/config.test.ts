import { ConfigReader } from '@backstage/config';
import { readTrivyConfig } from './config';

describe('imageFreshness.trivy', () => {
  it('has defaults, and refuses unknown severities', () => {
    const defaults = readTrivyConfig(new ConfigReader({}));
    expect(defaults).toMatchObject({
      path: undefined,
      severities: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'],
      args: [],
    });
    expect(defaults.timeout.toMillis()).toBe(300_000);
    expect(defaults.rescanInterval.toMillis()).toBe(86_400_000);
    expect(
      readTrivyConfig(
        new ConfigReader({
          imageFreshness: { trivy: { severities: ['low', 'CRITICAL'] } },
        }),
      ).severities,
    ).toEqual(['CRITICAL', 'LOW']);
    expect(() =>
      readTrivyConfig(
        new ConfigReader({
          imageFreshness: { trivy: { severities: ['SEVERE'] } },
        }),
      ),
    ).toThrow('Invalid imageFreshness.trivy.severities entry "SEVERE"');
  });
});
