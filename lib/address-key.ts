// The key that per-address limits count under: the connection caps (lib/server.ts), the failed-login
// throttle (lib/auth/counters.ts) and enrollment's attempts (lib/enroll/service.ts).
//
// An IPv4 address is one key. An IPv6 host is normally given a whole /64 (SLAAC, RFC 6177), and picks
// a new address in it whenever it likes (privacy addresses, RFC 8981): keyed by the full address, one
// machine would get 2^64 budgets. So IPv6 addresses are keyed by their first `limits.ipv6PrefixLength`
// bits (64 by default, as Ergo's `ipv6-cidr-length`); 128 keys every address on its own again.
// An IPv4-mapped address (`::ffff:1.2.3.4`, what a dual-stack listener reports for IPv4 clients) is its
// IPv4 address: taken as IPv6, every IPv4 client would fall into one ::/64 and share one budget.
//
// Bans, logs and the audit log keep the address as it was seen; only the counting is coarser.
import net from 'node:net';

/** `address` as a per-address limit counts it; anything that is not an IP address is its own key. */
export function addressKey(address: string, ipv6PrefixLength: number): string {
  const zoneless = address.split('%', 1)[0]!;
  if (net.isIPv4(zoneless) || !net.isIPv6(zoneless)) return zoneless;
  const words = ipv6Words(zoneless);
  const mapped = words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff;
  if (mapped) return `${words[6]! >> 8}.${words[6]! & 0xff}.${words[7]! >> 8}.${words[7]! & 0xff}`;
  const bits = Math.max(0, Math.min(128, Math.trunc(ipv6PrefixLength)));
  const masked = words.map((w, i) => {
    const keep = Math.max(0, Math.min(16, bits - i * 16)); // bits of this 16-bit word inside the prefix
    return keep === 0 ? 0 : w & (0xffff << (16 - keep)) & 0xffff;
  });
  return `${masked.map((w) => w.toString(16)).join(':')}/${bits}`;
}

/** The eight 16-bit words of a valid IPv6 address (`::` expanded, a trailing dotted quad folded in). */
function ipv6Words(address: string): number[] {
  let text = address;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part ? part.split(':').map((h) => parseInt(h, 16)) : []);
  const front = parse(head);
  if (tail === undefined) return front;
  const back = parse(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}
