// lib/tls-tickets.ts: ticket keys that follow the server key and the CA (nothing else), change with
// each period, and move to the next period's key when the period ends.
import { expect } from 'chai';
import { createPrivateKey } from 'node:crypto';
import type tls from 'node:tls';
import { createCA } from '../lib/auth/certs.js';
import { rotateTicketKeys, TICKET_KEY_PERIOD_MS, ticketKeys, ticketOptions } from '../lib/tls-tickets.js';

describe('tls-tickets: ticket keys derived from the server key and the CA', function () {
  this.timeout(20000);
  let a: { key: Buffer; ca: Buffer };
  let b: { key: Buffer; ca: Buffer };
  const now = Date.UTC(2026, 0, 1, 5);
  before(async () => {
    const [ca1, ca2] = await Promise.all([createCA(), createCA()]);
    a = { key: Buffer.from(ca1.keyPem), ca: Buffer.from(ca1.certPem) };
    b = { key: Buffer.from(ca2.keyPem), ca: Buffer.from(ca2.certPem) };
  });

  it('48 bytes, the same for the same key and CA (a restart, another node)', () => {
    const k = ticketKeys(a, now);
    expect(k).to.have.length(48);
    expect(ticketKeys({ key: Buffer.from(a.key), ca: Buffer.from(a.ca) }, now + 1000).equals(k)).to.equal(true);
  });

  it('another CA bundle or another key gives other keys', () => {
    const k = ticketKeys(a, now);
    expect(ticketKeys({ key: a.key, ca: b.ca }, now).equals(k)).to.equal(false);
    expect(ticketKeys({ key: a.key, ca: Buffer.concat([a.ca, b.ca]) }, now).equals(k)).to.equal(false);
    expect(ticketKeys({ key: b.key, ca: a.ca }, now).equals(k)).to.equal(false);
  });

  it('the same key written as PKCS#1 instead of PKCS#8 gives the same keys', () => {
    const pkcs1 = createPrivateKey(a.key).export({ type: 'pkcs1', format: 'pem' });
    expect(pkcs1).not.to.equal(a.key.toString());
    expect(ticketKeys({ key: Buffer.from(pkcs1), ca: a.ca }, now).equals(ticketKeys(a, now))).to.equal(true);
  });

  it('a new period, a new key', () => {
    const start = Math.floor(now / TICKET_KEY_PERIOD_MS) * TICKET_KEY_PERIOD_MS;
    expect(ticketKeys(a, start + TICKET_KEY_PERIOD_MS - 1).equals(ticketKeys(a, start))).to.equal(true);
    expect(ticketKeys(a, start + TICKET_KEY_PERIOD_MS).equals(ticketKeys(a, start))).to.equal(false);
  });

  it('ticketOptions: a constant session-id context (not Node\'s hash of the command line) and a 2 h lifetime', () => {
    const o = ticketOptions(a, now);
    expect(o.sessionIdContext).to.equal('chatd-tls-session-v1');
    expect(o.sessionTimeout).to.equal(7200);
    expect(o.ticketKeys!.equals(ticketKeys(a, now))).to.equal(true);
  });

  it('rotateTicketKeys sets the next period\'s key when the period ends, and again at the one after', async () => {
    const boundary = (Math.floor(now / TICKET_KEY_PERIOD_MS) + 1) * TICKET_KEY_PERIOD_MS;
    let clock = boundary - 5; // 5 ms before the period ends
    const set: Buffer[] = [];
    let wake: () => void = () => {};
    const server = { setTicketKeys: (k: Buffer) => { set.push(k); clock += TICKET_KEY_PERIOD_MS - 5; wake(); } } as unknown as tls.Server;
    const first = new Promise<void>((r) => { wake = r; });
    const r = rotateTicketKeys(server, () => a, () => clock);
    await first;
    expect(set[0]!.equals(ticketKeys(a, boundary))).to.equal(true);
    const second = new Promise<void>((res) => { wake = res; });
    await second;
    expect(set[1]!.equals(ticketKeys(a, boundary + TICKET_KEY_PERIOD_MS))).to.equal(true);
    r.stop();
  });
});
