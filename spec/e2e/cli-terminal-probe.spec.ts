// What reaches a chat-cli user's terminal, probed through the real binary on a pty: names every
// USERNAME_RE allows, and a bell that others can make ring.
import { expect } from 'chai';
import { issueClientCert } from '../../lib/auth/certs.js';
import { withChatd } from '../helpers/chatd.js';
import { flags, Run } from '../helpers/cli-run.js';
import { USERS } from '../helpers/world.js';

const DASHED = 'jean-luc';
const DASHED_PW = 'Jean-luc-pass-1234';

describe('e2e: chat-cli on a terminal, probed', function () {
  this.timeout(60_000);
  const t = withChatd({
    users: { ...USERS, [DASHED]: { password: DASHED_PW, role: 'user' } },
    config: { limits: { floodBurst: 2000, floodRate: 2000 } },
  });
  const runs: Run[] = [];
  const track = (r: Run) => { runs.push(r); return r; };
  afterEach(() => { for (const r of runs.splice(0)) r.kill(); });

  async function terminal(user: string, password: string, ...extra: string[]): Promise<Run> {
    const r = track(Run.start([...flags(t.world.certs, t.port, user), ...extra], { env: { CHATD_PASSWORD: password, NO_COLOR: '' }, pty: true }));
    await r.waitScreen(new RegExp(`logged in as ${user}`));
    return r;
  }

  it('a user whose name has a "-" (USERNAME_RE allows it) sees the lines of others, mentions highlighted, and stays up', async () => {
    await issueClientCert(t.world.certs, DASHED, { force: true });
    const jl = await terminal(DASHED, DASHED_PW);
    const bob = await t.login('bob');
    await bob.say('just a line');
    await jl.waitScreen(/bob: just a line/);
    await bob.say(`hello ${DASHED}`);
    await jl.waitScreen(new RegExp(`bob: hello ${DASHED}`));
    await jl.until(() => jl.out.includes('\x07'), 'the bell of the mention');
    expect(jl.out).to.match(/\x1b\[1m[^\n]*hello jean-luc/); // highlighted
    expect(jl.code).to.equal(undefined); // still running
  });
});
