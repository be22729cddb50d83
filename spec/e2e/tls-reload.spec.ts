// Issue 12 fault 1: a SIGHUP certificate reload must keep every TLS setting of the first context
// (minimum version, client-certificate policy, ALPN, cipher choice). Real chatd binary, real SIGHUP,
// real TLS clients of each kind before and after.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startBin, exited } from '../helpers/bin.js';
import { probe, type ProbeResult } from '../helpers/tls-probe.js';
import { withChatd } from '../helpers/chatd.js';
import { deadline } from '../helpers/wait.js';
import { tmpdir } from '../helpers/world.js';

type Chatd = ChildProcess & { output(): string };

function waitOutput(child: Chatd, re: RegExp, from: number, ms = 10000): Promise<void> {
  return deadline(ms, () => `no ${re} in ${ms} ms: ${child.output().slice(from).slice(-500)}`, (resolve) => {
    const on = () => { if (re.test(child.output().slice(from))) resolve(); };
    child.stderr!.on('data', on);
    on();
    return () => child.stderr!.off('data', on);
  });
}

describe('e2e: SIGHUP keeps every TLS setting (chatd binary)', function () {
  this.timeout(60000);
  const t = withChatd({ server: false });
  let dir: string;
  const children: Chatd[] = [];

  before(async () => {
    dir = tmpdir('tls-reload');
    for (const f of ['server.crt', 'server.key', 'ca.crt']) fs.copyFileSync(path.join(t.world.certs, f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify({ password: { m: 256, t: 1, p: 1 } }));
  });
  // Run before the world goes: the binaries use its database.
  t.defer(async () => {
    for (const c of children) if (c.exitCode === null) { c.kill('SIGKILL'); await exited(c); }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(extra: string[]): Promise<{ child: Chatd; port: number }> {
    const child = await startBin('chatd', ['--cert', `${dir}/server.crt`, '--key', `${dir}/server.key`, '--ca', `${dir}/ca.crt`,
      '--db', t.world.db, '--port', '0', '--config', `${dir}/cfg.json`, ...extra]);
    children.push(child);
    return { child, port: Number(/listening on [\d.]+:(\d+)/.exec(child.output())![1]) };
  }

  /** What each kind of client gets: a modern one, a TLS 1.2-only one, one without a certificate, one without ALPN. */
  async function survey(port: number): Promise<Record<string, Pick<ProbeResult, 'accepted' | 'protocol' | 'alpn' | 'cipher'>>> {
    const keep = ({ accepted, protocol, alpn, cipher }: ProbeResult) => (accepted ? { accepted, protocol, alpn, cipher } : { accepted, protocol: null, alpn: null, cipher: null });
    return {
      modern: keep(await probe(port, t.world.certs)),
      tls12: keep(await probe(port, t.world.certs, { maxVersion: 'TLSv1.2' })),
      noCert: keep(await probe(port, t.world.certs, { certOf: null })),
      noAlpn: keep(await probe(port, t.world.certs, { alpn: false })),
    };
  }

  async function reload(child: Chatd): Promise<void> {
    const from = child.output().length;
    child.kill('SIGHUP');
    await waitOutput(child, /certificates reloaded/, from);
  }

  it('defaults (TLS 1.3 only, client certificate required): a TLS 1.2 client and a client without a certificate are still refused after a reload', async () => {
    const { child, port } = await start([]);
    const before = await survey(port);
    expect(before.modern).to.include({ accepted: true, protocol: 'TLSv1.3', alpn: 'chatd/1' });
    expect(before.tls12.accepted, 'TLS 1.2 client before reload').to.equal(false);
    expect(before.noCert.accepted, 'no certificate before reload').to.equal(false);
    expect(before.noAlpn).to.include({ accepted: true, alpn: false });
    await reload(child);
    expect(await survey(port)).to.deep.equal(before);
    await reload(child); // a second reload starts from the reloaded context, not from the first one
    expect(await survey(port)).to.deep.equal(before);
  });

  it('--tls-min-version TLSv1.2 --client-cert optional: the looser policy is kept too, not replaced by defaults', async () => {
    const { child, port } = await start(['--tls-min-version', 'TLSv1.2', '--client-cert', 'optional']);
    const before = await survey(port);
    expect(before.tls12).to.include({ accepted: true, protocol: 'TLSv1.2', alpn: 'chatd/1' });
    expect(before.noCert.accepted, 'no certificate with --client-cert optional').to.equal(true);
    await reload(child);
    expect(await survey(port)).to.deep.equal(before);
  });
});
