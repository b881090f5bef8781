import { HostPolicy } from './HostPolicy';

const dns: Record<string, string[]> = {
  'registry.example.com': ['203.0.113.10'],
  'sneaky.example.com': ['169.254.169.254'],
  'inside.example.com': ['10.1.2.3'],
};
const resolve = async (host: string) => {
  if (!dns[host]) throw new Error('ENOTFOUND');
  return dns[host];
};

async function verdict(policy: HostPolicy, registry: string) {
  try {
    await policy.check(registry);
    return 'allowed';
  } catch (error) {
    return (error as { code: string }).code;
  }
}

describe('HostPolicy', () => {
  const defaults = new HostPolicy({
    allowedHosts: [],
    blockedHosts: [],
    resolve,
  });

  it.each([
    ['registry.example.com', 'allowed'],
    ['ghcr.io', 'allowed'], // does not resolve here: the request will fail on its own
    ['127.0.0.1:5000', 'BLOCKED_HOST'],
    ['localhost:5000', 'BLOCKED_HOST'],
    ['169.254.169.254', 'BLOCKED_HOST'],
    ['[::1]:5000', 'BLOCKED_HOST'],
    ['metadata.google.internal', 'BLOCKED_HOST'],
    ['sneaky.example.com', 'BLOCKED_HOST'],
    ['10.1.2.3:5000', 'allowed'],
  ])('by default %s is %s', async (registry, expected) => {
    expect(await verdict(defaults, registry)).toBe(expected);
  });

  it('names the registry and the way out', async () => {
    await expect(defaults.check('127.0.0.1:5000')).rejects.toThrow(
      /Registry 127.0.0.1:5000 is blocked .* add it to imageFreshness.allowedHosts/,
    );
  });

  it('exempts allowed hosts and CIDRs, and adds blocked ones', async () => {
    const policy = new HostPolicy({
      allowedHosts: ['127.0.0.0/8', 'localhost:5000'],
      blockedHosts: ['10.0.0.0/8', 'evil.example.com'],
      resolve,
    });
    expect(await verdict(policy, '127.0.0.1:41234')).toBe('allowed');
    expect(await verdict(policy, 'localhost:5000')).toBe('allowed');
    expect(await verdict(policy, 'localhost:6000')).toBe('BLOCKED_HOST');
    expect(await verdict(policy, '10.1.2.3')).toBe('BLOCKED_HOST');
    expect(await verdict(policy, 'inside.example.com')).toBe('BLOCKED_HOST');
    expect(await verdict(policy, 'evil.example.com:443')).toBe('BLOCKED_HOST');
  });
});
