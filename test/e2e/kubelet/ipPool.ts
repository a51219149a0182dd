/** Pod IPs from a range of IPv4 addresses (loopback here): the lowest free address first. */

const toNumber = (ip: string): number => {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  }
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
};

const toIP = (n: number): string =>
  [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

export class IPPool {
  private readonly first: number;
  private readonly last: number;
  private readonly used = new Set<number>();

  constructor(first: string, last: string) {
    this.first = toNumber(first);
    this.last = toNumber(last);
    if (this.last < this.first) throw new Error(`empty pod IP range ${first} - ${last}`);
  }

  allocate(): string {
    for (let n = this.first; n <= this.last; n++) {
      // Skip .0 and .255: some resolvers and tools treat them as network or broadcast addresses.
      const last = n & 255;
      if (last === 0 || last === 255 || this.used.has(n)) continue;
      this.used.add(n);
      return toIP(n);
    }
    throw new Error(`no free pod IP left in ${toIP(this.first)} - ${toIP(this.last)}`);
  }

  release(ip: string): void {
    this.used.delete(toNumber(ip));
  }
}
