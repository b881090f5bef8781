/*
 * A real registry behind Basic auth that takes only what a cloud stand-in minted last, for the
 * cloud credential modules' tests and the security e2e.
 */
import { pushImage } from './images';
import { startRegistry, TestRegistry } from './registry';

/** A registry behind Basic auth that a cloud stand-in's mints are to unlock. */
export interface MintingRegistry {
  registry: TestRegistry;
  /** `HOST/REPOSITORY:1.0` of each pushed image, in order */
  images: string[];
  digests: string[];
  /** the password the registry starts with, given to nobody but the test's pushes */
  initialPassword: string;
  /** from now on the registry takes only `password` (for the user it was started with) */
  acceptOnly(password: string): Promise<void>;
  /** how the registry answers `GET /v2/` with the user and `password` */
  v2Status(password: string): Promise<number>;
}

/**
 * Starts a real registry behind Basic auth for `username` with a password nobody is given, and
 * pushes `REPOSITORY:1.0` for each of `repositories` (built at `created`, if given): a stand-in
 * that mints calls {@link MintingRegistry.acceptOnly}, so the registry takes exactly the newest
 * minted credential.
 */
export async function startMintingRegistry(options: {
  username: string;
  repositories: Array<string | { repository: string; created: string }>;
}): Promise<MintingRegistry> {
  const { username } = options;
  const auth = { username, password: 'initial-password-nobody-is-given' };
  const registry = await startRegistry({ basicAuth: auth });
  const digests: string[] = [];
  const images: string[] = [];
  for (const entry of options.repositories) {
    const { repository, created } =
      typeof entry === 'string'
        ? { repository: entry, created: undefined }
        : entry;
    const pushed = await pushImage(
      registry.url,
      repository,
      '1.0',
      created ? { created } : {},
      auth,
    );
    digests.push(pushed.digest);
    images.push(`${registry.host}/${repository}:1.0`);
  }
  return {
    registry,
    images,
    digests,
    initialPassword: auth.password,
    acceptOnly: password => registry.acceptOnly({ username, password }),
    v2Status: async password => {
      const basic = Buffer.from(`${username}:${password}`).toString('base64');
      const answer = await fetch(`${registry.url}/v2/`, {
        headers: { authorization: `Basic ${basic}` },
      });
      await answer.arrayBuffer();
      return answer.status;
    },
  };
}
