import type { Config } from '@backstage/config';

/** Where a registry's tokens come from. */
export interface EcrRegistry {
  accountId?: string;
  region: string;
  /** The ECR API's FIPS endpoint (`dkr.ecr-fips` hosts). */
  fips: boolean;
  public: boolean;
}

/** `imageFreshness.ecr`, read once. */
export interface EcrConfig {
  /** Registries configured by host. */
  registries: Map<string, EcrRegistry>;
  /** Whether `public.ecr.aws` gets tokens. */
  public: boolean;
}

export const ECR_PUBLIC_HOST = 'public.ecr.aws';
/** ECR Public's API lives in us-east-1 only. */
export const ECR_PUBLIC_REGION = 'us-east-1';

const ECR_HOST =
  /^(\d{12})\.dkr\.ecr(-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(\.cn)?$/;

/** Account, region and FIPS of an ECR hostname; undefined for any other host. */
export function parseEcrHost(
  host: string,
): { accountId: string; region: string; fips: boolean } | undefined {
  const match = ECR_HOST.exec(host.toLowerCase());
  if (!match) return undefined;
  return { accountId: match[1], region: match[3], fips: !!match[2] };
}

/** Reads `imageFreshness.ecr`; undefined when it is absent (the module then adds nothing). */
export function readEcrConfig(config: Config): EcrConfig | undefined {
  const ecr = config.getOptionalConfig('imageFreshness.ecr');
  if (!ecr) return undefined;
  const registries = new Map<string, EcrRegistry>();
  for (const entry of ecr.getOptionalConfigArray('registries') ?? []) {
    const host = entry.getString('host');
    const isPublic = entry.getOptionalBoolean('public') ?? false;
    const parsed = parseEcrHost(host);
    const accountId = entry.getOptionalString('accountId') ?? parsed?.accountId;
    if (accountId !== undefined && !/^\d{12}$/.test(accountId)) {
      throw new Error(
        `imageFreshness.ecr.registries: accountId of ${host} must be 12 digits, got "${accountId}"`,
      );
    }
    const region =
      entry.getOptionalString('region') ??
      (isPublic ? ECR_PUBLIC_REGION : parsed?.region);
    if (!region) {
      throw new Error(
        `imageFreshness.ecr.registries: ${host} is not an ECR hostname; set its region (and accountId)`,
      );
    }
    if (!isPublic && !accountId) {
      throw new Error(
        `imageFreshness.ecr.registries: ${host} is not an ECR hostname; set its accountId`,
      );
    }
    registries.set(host, {
      accountId,
      region,
      fips: parsed?.fips ?? false,
      public: isPublic,
    });
  }
  return { registries, public: ecr.getOptionalBoolean('public') ?? false };
}

/** The registry `host` names, by configuration or by its name; undefined when it is none of ECR's. */
export function ecrRegistryFor(
  config: EcrConfig,
  host: string,
): EcrRegistry | undefined {
  const configured = config.registries.get(host);
  if (configured) return configured;
  if (host === ECR_PUBLIC_HOST) {
    return config.public
      ? { region: ECR_PUBLIC_REGION, fips: false, public: true }
      : undefined;
  }
  const parsed = parseEcrHost(host);
  return parsed && { ...parsed, public: false };
}
