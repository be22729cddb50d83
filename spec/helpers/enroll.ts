// Raw enrollment clients for specs: ALPN chatd-enroll/1 without a client certificate, one enroll
// frame, and everything the server sent until it closed.
import fs from 'node:fs';
import tls from 'node:tls';
import { runBin } from './bin.js';
import type { Frame } from './client.js';
import { decodeInvite, type Invite } from '../../lib/enroll/invite.js';

export type EnrollResult = { frames: Frame[]; hello: Frame | null; answer: Frame | null; ms: number };

/** Connects on chatd-enroll/1, waits for enroll_hello, sends `frame` (unless null) and collects frames until the close. */
export function enrollRaw(port: number, certs: string, frame: object | null, ms = 10000): Promise<EnrollResult> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: fs.readFileSync(`${certs}/ca.crt`), ALPNProtocols: ['chatd-enroll/1'] });
    const frames: Frame[] = [];
    let buf = '';
    let sentAt = 0;
    let answeredAt = 0;
    const t = setTimeout(() => { s.destroy(); reject(new Error(`enrollment got no close in ${ms} ms: ${JSON.stringify(frames).slice(0, 300)}`)); }, ms);
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const f = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        frames.push(f);
        if (f.type === 'enroll_hello' && frame) { sentAt = Date.now(); s.write(JSON.stringify(frame) + '\n'); }
        else if (f.type === 'enroll_hello') s.end(); // only the hello was wanted
        else if (!answeredAt) answeredAt = Date.now();
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      const hello = frames.find((f) => f.type === 'enroll_hello') ?? null;
      resolve({ frames, hello, answer: frames.find((f) => f.type !== 'enroll_hello') ?? null, ms: answeredAt - sentAt });
    });
  });
}

/** `chat-admin invite add`, through the binary; resolves to the code and what it holds. */
export async function inviteCode(db: string, certs: string, user: string, ...args: string[]): Promise<{ code: string; invite: Invite }> {
  const r = await runBin('chat-admin', ['invite', 'add', user, '--ca', `${certs}/ca.crt`, '--db', db, ...args]);
  if (r.code !== 0) throw new Error(`invite add ${user} failed (${r.code}): ${r.err}`);
  const code = r.out.trim();
  return { code, invite: decodeInvite(code) };
}
