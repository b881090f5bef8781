import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { OciError, parseHost } from 'oci-client';

/** Names that always mean a cloud metadata service or this machine. */
const BLOCKED_NAMES = [
  'localhost',
  'metadata',
  'metadata.google.internal',
  'metadata.azure.internal',
  'instance-data',
  'instance-data.ec2.internal',
];

/** Loopback, link-local (cloud metadata lives there), "this network", and Alibaba's metadata address. */
const BLOCKED_RANGES: Array<[string, number, 'ipv4' | 'ipv6']> = [
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['0.0.0.0', 8, 'ipv4'],
  ['100.100.100.200', 32, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['fd00:ec2::254', 128, 'ipv6'],
  ['::ffff:127.0.0.0', 104, 'ipv6'],
  ['::ffff:169.254.0.0', 112, 'ipv6'],
];

const DNS_CACHE_MS = 60_000;

function addEntry(list: BlockList, names: Set<string>, entry: string) {
  const [address, bits] = entry.split('/');
  const family = isIP(address);
  if (family === 0) {
    // a name, or host:port to match one port only
    names.add(entry.toLowerCase());
  } else if (bits !== undefined) {
    list.addSubnet(address, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
  } else {
    list.addAddress(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * Decides whether a registry host may be contacted: loopback, link-local and
 * cloud metadata addresses are blocked (also when a name resolves to them),
 * plus `blockedHosts`; `allowedHosts` (names, `host:port`s or CIDRs) are
 * exempt. Asked twice: by name before a request (`check`, a cheap early
 * refusal), and for each address a connection is about to be opened to
 * (`checkAddress`, which the client asks where the socket gets its address,
 * so a name cannot answer an allowed address to the first and a blocked one
 * to the second).
 */
export class HostPolicy {
  private readonly blocked = new BlockList();
  private readonly blockedNames = new Set(BLOCKED_NAMES);
  private readonly allowed = new BlockList();
  private readonly allowedNames = new Set<string>();
  /** Resolves a name to its addresses: for the name check, and for the client's connections. */
  readonly resolve: (host: string) => Promise<string[]>;
  private readonly dnsCache = new Map<
    string,
    { at: number; addresses: Promise<string[]> }
  >();

  constructor(options: {
    allowedHosts: string[];
    blockedHosts: string[];
    /** Resolves a name to its addresses; DNS by default. */
    resolve?: (host: string) => Promise<string[]>;
  }) {
    for (const [address, bits, family] of BLOCKED_RANGES) {
      this.blocked.addSubnet(address, bits, family);
    }
    for (const entry of options.blockedHosts)
      addEntry(this.blocked, this.blockedNames, entry);
    for (const entry of options.allowedHosts)
      addEntry(this.allowed, this.allowedNames, entry);
    this.resolve =
      options.resolve ??
      (async host => (await lookup(host, { all: true })).map(a => a.address));
  }

  /** Throws a BLOCKED_HOST OciError when `registry` (host[:port]) may not be contacted. */
  async check(registry: string): Promise<void> {
    const { hostname } = parseHost(registry);
    const byName = this.nameVerdict(registry);
    if (byName === 'allowed') return;
    if (byName === 'blocked') throw this.error(registry, hostname);
    const addresses = isIP(hostname)
      ? [hostname]
      : await this.addresses(hostname);
    const bad = addresses.find(a => this.refuses(a));
    if (bad) throw this.error(registry, bad);
  }

  /**
   * Throws a BLOCKED_HOST OciError when a connection for `host` (host[:port])
   * may not go to `address`. A host allowed by name may connect wherever it
   * resolves; a blocked name nowhere.
   */
  checkAddress(host: string, address: string): void {
    const byName = this.nameVerdict(host);
    if (byName === 'allowed') return;
    if (byName === 'blocked' || this.refuses(address)) {
      throw this.error(host, address);
    }
  }

  /** What `allowedHosts` and `blockedHosts` say of the name (`localhost`) or `host:port` itself. */
  private nameVerdict(host: string): 'allowed' | 'blocked' | undefined {
    const { hostname } = parseHost(host);
    const withPort = host.toLowerCase();
    if (this.allowedNames.has(hostname) || this.allowedNames.has(withPort)) {
      return 'allowed';
    }
    if (this.blockedNames.has(hostname) || this.blockedNames.has(withPort)) {
      return 'blocked';
    }
    return undefined;
  }

  private refuses(address: string): boolean {
    return this.isBlockedAddress(address) && !this.isAllowedAddress(address);
  }

  private isBlockedAddress(address: string): boolean {
    return this.blocked.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
  }

  private isAllowedAddress(address: string): boolean {
    return this.allowed.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
  }

  private addresses(host: string): Promise<string[]> {
    const cached = this.dnsCache.get(host);
    if (cached && performance.now() - cached.at < DNS_CACHE_MS)
      return cached.addresses;
    // A name that does not resolve is not blocked here: the request itself fails, classified.
    const addresses = this.resolve(host).catch(() => []);
    this.dnsCache.set(host, { at: performance.now(), addresses });
    return addresses;
  }

  private error(registry: string, address: string): OciError {
    return new OciError(
      'BLOCKED_HOST',
      `Registry ${registry} is blocked (${address} is loopback, link-local, a metadata service or in imageFreshness.blockedHosts); add it to imageFreshness.allowedHosts if it is trusted`,
      { host: registry },
    );
  }
}
