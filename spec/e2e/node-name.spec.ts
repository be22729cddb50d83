// With a Redis bus and no --node-name, a node names itself <hostname>-<port>.
import { expect } from 'chai';
import os from 'node:os';
import { Redis } from 'ioredis';
import { defaultNodeName } from '../../lib/app.js';
import { freePort } from '../helpers/proxy.js';
import { exited, startBin } from '../helpers/bin.js';
import { freshDb, sharedCerts } from '../helpers/world.js';

describe('node name', function () {
  this.timeout(30000);

  it('is node1 on the memory bus, <hostname>-<port> with Redis, the pid standing in for port 0', () => {
    expect(defaultNodeName({ bus: 'memory', port: 7443 })).to.equal('node1');
    expect(defaultNodeName({ bus: 'redis://x', port: 7444 }, 'Chat-A.example.org')).to.equal('chat-a.example.org-7444');
    expect(defaultNodeName({ bus: 'redis://x', port: 0 }, 'h', 42)).to.equal('h-pid42');
    expect(defaultNodeName({ bus: 'redis://x', port: 1 }, 'we ird_host')).to.equal('we-ird-host-1');
  });

  it('a node started with Redis and without --node-name serves, under its default name', async function () {
    if (!process.env.CHATD_TEST_REDIS) return this.skip();
    const certs = await sharedCerts();
    const db = await freshDb('sqlite');
    const prefix = `chatd-nn-${process.pid}:`;
    const redis = new Redis(process.env.CHATD_TEST_REDIS);
    const port = await freePort();
    const bus = `${process.env.CHATD_TEST_REDIS}?prefix=${prefix}`;
    const child = await startBin('chatd', ['--cert', `${certs}/server.crt`, '--key', `${certs}/server.key`, '--ca', `${certs}/ca.crt`,
      '--db', db.url, '--bus', bus, '--port', String(port)]);
    try {
      expect(await redis.zscore(`${prefix}nodes`, defaultNodeName({ bus, port }, os.hostname()))).to.not.equal(null);
    } finally {
      child.kill('SIGTERM');
      await exited(child);
      redis.disconnect();
      await db.drop();
    }
  });
});
