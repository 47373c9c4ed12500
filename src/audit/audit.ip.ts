import { isIP } from 'node:net';

/**
 * The client address in the text form PostgreSQL's inet prints (host(), no mask), so the hash computed from
 * it before insert matches the value read back. IPv4-mapped IPv6 becomes plain IPv4.
 */
const CACHE_LIMIT = 4_096;
/** Clients repeat their address on every request; parsing it each time showed up in the per-request profile. */
const cache = new Map<string, string | null>();

export function normaliseIp(raw: string | undefined): string | null {
  if (!raw) return null;
  const cached = cache.get(raw);
  if (cached !== undefined) return cached;
  const ip = parseIp(raw);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(raw, ip);
  return ip;
}

function parseIp(raw: string): string | null {
  const ip = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  const kind = isIP(ip);
  if (kind === 4)
    return ip
      .split('.')
      .map((o) => String(Number(o)))
      .join('.');
  if (kind !== 6) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return parseIp(mapped[1]);
  const words = expandIpv6(ip);
  if (!words) return null;
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff)
    return `${words[6] >> 8}.${words[6] & 255}.${words[7] >> 8}.${words[7] & 255}`;
  // Same compression rule as PostgreSQL (and RFC 5952): the first longest run of two or more zero words.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) best = -1;
  // PostgreSQL prints the deprecated IPv4-compatible form (::a.b.c.d) with a dotted tail.
  if (best === 0 && bestLen === 6) return `::${words[6] >> 8}.${words[6] & 255}.${words[7] >> 8}.${words[7] & 255}`;
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function expandIpv6(ip: string): number[] | undefined {
  let text = ip.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const o = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const zone = text.indexOf('%');
  if (zone >= 0) return undefined;
  const [left, right] = text.split('::');
  const l = left ? left.split(':') : [];
  const r = right !== undefined ? (right ? right.split(':') : []) : [];
  const fill = text.includes('::') ? 8 - l.length - r.length : 0;
  const words = [...l, ...Array<string>(fill).fill('0'), ...r].map((h) => parseInt(h, 16));
  return words.length === 8 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : undefined;
}
