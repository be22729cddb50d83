// ALPN on the chat port: JSON Lines (chatd/1) before enrollment (chatd-enroll/1), none for text mode.
import { ALPN, ENROLL_ALPN } from './protocol/frames.js';

/**
 * The listener's ALPN choice, as a callback rather than `ALPNProtocols`: given a protocol list,
 * Node copies it into a small Buffer for every connection and keeps that copy for the socket's
 * life. The copy comes from Node's shared 8 KiB buffer pool, so each slab it lands in stays
 * allocated along with whatever else of the pool the login path used meanwhile (the welcome,
 * login_ok and history frames): ~0.5 KiB per idle session (BENCHMARKS.md, finding 8).
 *
 * The choice is the one `ALPNProtocols: [ALPN, ENROLL_ALPN]` makes: the server's order wins, a
 * client offering ALPN without either protocol gets the fatal no_application_protocol alert
 * (undefined), and a client without ALPN is not asked (text mode).
 */
export function chooseAlpn({ protocols }: { protocols: string[] }): string | undefined {
  if (protocols.includes(ALPN)) return ALPN;
  if (protocols.includes(ENROLL_ALPN)) return ENROLL_ALPN;
  return undefined;
}
