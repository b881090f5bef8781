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

describe('HostPolicy.checkAddress (asked for each connection)', () => {
  const policy = new HostPolicy({
    allowedHosts: ['localhost:5000', '127.0.0.1:5000', '10.9.0.0/16'],
    blockedHosts: ['10.0.0.0/8', 'evil.example.com', '192.0.2.7:8443'],
    resolve,
  });

  function connectVerdict(host: string, address: string) {
    try {
      policy.checkAddress(host, address);
      return 'allowed';
    } catch (error) {
      return (error as { code: string }).code;
    }
  }

  it.each([
    // a name in allowedHosts connects wherever it resolves
    ['localhost:5000', '127.0.0.1', 'allowed'],
    ['LOCALHOST:5000', '::1', 'allowed'],
    ['127.0.0.1:5000', '127.0.0.1', 'allowed'],
    ['localhost:6000', '127.0.0.1', 'BLOCKED_HOST'],
    // otherwise the address decides: loopback, link-local, metadata, blockedHosts…
    ['registry.example.com', '203.0.113.10', 'allowed'],
    ['registry.example.com', '127.0.0.2', 'BLOCKED_HOST'],
    ['registry.example.com:443', '169.254.169.254', 'BLOCKED_HOST'],
    ['registry.example.com', '::ffff:127.0.0.1', 'BLOCKED_HOST'],
    ['registry.example.com', 'fe80::1', 'BLOCKED_HOST'],
    ['registry.example.com', '10.1.2.3', 'BLOCKED_HOST'],
    // …unless an allowed CIDR holds it
    ['registry.example.com', '10.9.8.7', 'allowed'],
    // a blocked name or host:port is refused whatever its address
    ['evil.example.com', '203.0.113.10', 'BLOCKED_HOST'],
    ['metadata.google.internal', '203.0.113.10', 'BLOCKED_HOST'],
    ['192.0.2.7:8443', '192.0.2.7', 'BLOCKED_HOST'],
    ['192.0.2.7:443', '192.0.2.7', 'allowed'],
  ])('a connection for %s to %s is %s', (host, address, expected) => {
    expect(connectVerdict(host, address)).toBe(expected);
  });

  it('refuses a blocked address:port by name before any request too, and that port only', async () => {
    await expect(policy.check('192.0.2.7:8443')).rejects.toMatchObject({
      code: 'BLOCKED_HOST',
    });
    await expect(policy.check('192.0.2.7:443')).resolves.toBeUndefined();
  });

  it('names the host and the address, and the way out', () => {
    expect(() =>
      policy.checkAddress('registry.example.com:5000', '127.0.0.2'),
    ).toThrow(
      'Registry registry.example.com:5000 is blocked (127.0.0.2 is loopback, link-local, a metadata service or in imageFreshness.blockedHosts); add it to imageFreshness.allowedHosts if it is trusted',
    );
  });
});
