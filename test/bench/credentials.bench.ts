/*
 * Token mints per registry: the real ECR credential provider (the real AWS SDK against the
 * ECR API stand-in of the ECR module's tests) behind the core's provider cache, asked 1,000
 * times at once across 50 repositories, and 1,000 times spread over a simulated day of
 * 12-hour tokens. Goal: one mint per token lifetime. Prints figures; never fails on them.
 *
 *   yarn workspace @internal/test bench:credentials
 */
/*
 * The bench drives the core's provider cache and the ECR module's stand-in
 * directly, so it imports them from the packages' source, as metrics.bench.ts does.
 */
/* eslint-disable @backstage/no-forbidden-package-imports */
import { ConfigReader } from '@backstage/config';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import { credentialsFromProviders } from 'backstage-plugin-image-freshness-backend/src/registry/credentialProviders';
import {
  EcrCredentialProvider,
  readEcrConfig,
} from 'backstage-plugin-image-freshness-backend-module-ecr';
import { startEcrStandIn } from '../harness/ecrStandIn';
import { performance } from 'node:perf_hooks';
import { recordFigure } from './results';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const LOOKUPS = 1000;
const silent = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  child() {
    return silent;
  },
};

async function main() {
  let simulated = Date.now();
  const standIn = await startEcrStandIn({
    accessKeyId: 'AKIABENCH00000000001',
    lifetimeSeconds: 12 * 3600,
    onMint: async () => {},
    now: () => simulated,
  });
  process.env.AWS_ENDPOINT_URL_ECR = standIn.url;
  const config = new ConfigReader({
    aws: {
      accounts: [
        {
          accountId: '123456789012',
          accessKeyId: 'AKIABENCH00000000001',
          secretAccessKey: 'bench-secret',
        },
      ],
    },
    imageFreshness: { ecr: {} },
  });
  const provider = new EcrCredentialProvider({
    config: readEcrConfig(config)!,
    aws: DefaultAwsCredentialsManager.fromConfig(config),
  });
  try {
    const burst = credentialsFromProviders({
      providers: [provider],
      logger: silent,
    })!;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: LOOKUPS }, (_, i) =>
        burst.lookup(HOST, `team/app-${i % 50}`),
      ),
    );
    const burstMs = performance.now() - started;
    const burstMints = standIn.calls().length;

    const day = credentialsFromProviders({
      providers: [provider],
      logger: silent,
      now: () => new Date(simulated),
    })!;
    const dayStart = simulated;
    for (let i = 0; i < LOOKUPS; i++) {
      simulated = dayStart + i * 86_400;
      await day.lookup(HOST, `team/app-${i % 50}`);
    }
    const dayMints = standIn.calls().length - burstMints;

    console.log(
      `${LOOKUPS} concurrent lookups, 50 repositories, one registry: ${burstMints} mint(s), ${burstMs.toFixed(
        0,
      )} ms`,
    );
    console.log(
      `${LOOKUPS} lookups over a simulated day of 12-hour tokens: ${dayMints} mint(s) (renewed 5 minutes before expiry)`,
    );
    recordFigure({
      bench: 'credentials',
      measure: `ECR token mints, ${LOOKUPS} concurrent lookups`,
      value: String(burstMints),
      goal: '1',
      met: burstMints === 1,
    });
    recordFigure({
      bench: 'credentials',
      measure: `ECR token mints, ${LOOKUPS} lookups over 24 h (12 h tokens)`,
      value: String(dayMints),
      goal: '≤ 3 (1 per lifetime)',
      met: dayMints <= 3,
    });
  } finally {
    await standIn.stop();
  }
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
