// An enrollment flood from one address: once over its limit, attempts are neither audited nor logged
// one line each (a flood must not fill the disk), only the first one over the limit is.
import { expect } from 'chai';
import crypto from 'node:crypto';
import type { Chatd } from '../../lib/app.js';
import { newKeyAndCsr } from '../../lib/client/keys.js';
import { Logger } from '../../lib/log.js';
import { enrollRaw } from '../helpers/enroll.js';
import { makeWorld, startServer, type World } from '../helpers/world.js';

describe('e2e: enrollment flood and the log', function () {
  this.timeout(60000);
  let world: World;
  let chatd: Chatd;
  const logLines: string[] = [];
  before(async () => {
    world = await makeWorld();
    chatd = await startServer(world, { caKey: `${world.certs}/ca.key`, enroll: { attemptsPerIp: 2 } }, new Logger('debug', (l) => logLines.push(l)));
  });
  after(async () => {
    await chatd?.stop();
    await world?.drop();
  });

  it('attempts beyond the first one over the limit write no log line each', async () => {
    const csr = (await newKeyAndCsr('guess')).csrPem;
    const codes: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await enrollRaw(chatd.address.port, world.certs, { type: 'enroll', user: 'guess', token: crypto.randomBytes(16).toString('base64url'), csr, password: 'correct horse battery' });
      codes.push(r.answer!.code);
    }
    expect(codes).to.deep.equal([...Array(2).fill('ENROLL_INVALID'), ...Array(6).fill('RATE_LIMITED')]);
    const attempts = logLines.filter((l) => l.includes('"enrollment attempt"'));
    expect(attempts.map((l) => JSON.parse(l).result)).to.deep.equal(['ENROLL_INVALID', 'ENROLL_INVALID', 'RATE_LIMITED']);
  });
});
