import { ConfigReader } from '@backstage/config';
import { ecrRegistryFor, parseEcrHost, readEcrConfig } from './config';

describe('ECR hosts and config', () => {
  it('parses account, region and FIPS from ECR hostnames, and nothing else', () => {
    expect(
      parseEcrHost('123456789012.dkr.ecr.eu-west-1.amazonaws.com'),
    ).toEqual({ accountId: '123456789012', region: 'eu-west-1', fips: false });
    expect(
      parseEcrHost('123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com'),
    ).toEqual({
      accountId: '123456789012',
      region: 'us-gov-west-1',
      fips: true,
    });
    expect(
      parseEcrHost('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn'),
    ).toEqual({ accountId: '123456789012', region: 'cn-north-1', fips: false });
    for (const other of [
      'public.ecr.aws',
      '12345.dkr.ecr.eu-west-1.amazonaws.com',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example',
      'evil.example/123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      'ghcr.io',
    ]) {
      expect(parseEcrHost(other)).toBeUndefined();
    }
  });

  it('is off without the section; configured hosts take their account and region, public.ecr.aws only when asked', () => {
    expect(readEcrConfig(new ConfigReader({}))).toBeUndefined();
    const ecr = readEcrConfig(
      new ConfigReader({
        imageFreshness: {
          ecr: {
            public: true,
            registries: [
              {
                host: 'registry.internal:5000',
                accountId: '210987654321',
                region: 'eu-central-1',
              },
            ],
          },
        },
      }),
    )!;
    expect(ecrRegistryFor(ecr, 'registry.internal:5000')).toEqual({
      accountId: '210987654321',
      region: 'eu-central-1',
      fips: false,
      public: false,
    });
    expect(ecrRegistryFor(ecr, 'public.ecr.aws')).toEqual({
      region: 'us-east-1',
      fips: false,
      public: true,
    });
    expect(ecrRegistryFor(ecr, 'docker.io')).toBeUndefined();
    const noPublic = readEcrConfig(
      new ConfigReader({ imageFreshness: { ecr: {} } }),
    )!;
    expect(ecrRegistryFor(noPublic, 'public.ecr.aws')).toBeUndefined();
    expect(
      ecrRegistryFor(noPublic, '123456789012.dkr.ecr.eu-west-1.amazonaws.com'),
    ).toMatchObject({ accountId: '123456789012', region: 'eu-west-1' });
  });

  it('refuses a non-ECR host without account and region, and a malformed account', () => {
    expect(() =>
      readEcrConfig(
        new ConfigReader({
          imageFreshness: {
            ecr: { registries: [{ host: 'mirror.internal' }] },
          },
        }),
      ),
    ).toThrow(
      'imageFreshness.ecr.registries: mirror.internal is not an ECR hostname; set its region (and accountId)',
    );
    expect(() =>
      readEcrConfig(
        new ConfigReader({
          imageFreshness: {
            ecr: {
              registries: [
                {
                  host: 'mirror.internal',
                  accountId: '12',
                  region: 'eu-west-1',
                },
              ],
            },
          },
        }),
      ),
    ).toThrow('accountId of mirror.internal must be 12 digits, got "12"');
  });
});
