// What a user hears when a command is out of reach, misspelt, or aimed at nobody (issue 19 item 8).
import { expect } from 'chai';
import { TestClient } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';

describe('e2e: command help and near misses', function () {
  const t = withChatd();
  let alice: TestClient;
  before(async () => { alice = await TestClient.loggedIn(t.port, t.world.certs, 'alice'); });
  after(() => alice?.close());

  it('//help ban for a level-1 user says it needs a higher level', async () => {
    expect(await alice.command('//help ban')).to.include({ type: 'error', code: 'FORBIDDEN', message: '//ban needs level 50; you have level 1' });
  });

  it('an unknown command and help for one answer alike, with the nearest command', async () => {
    const typed = await alice.command('//jion lobby');
    const asked = await alice.command('//help jion');
    expect(typed).to.include({ code: 'UNKNOWN_COMMAND', message: 'unknown command "jion"; did you mean //join?' });
    expect(asked).to.include({ code: 'UNKNOWN_COMMAND', message: typed.message });
    // Nothing near: the pointer to help; commands above the caller's level are never suggested.
    expect(await alice.command('//xyzzy')).to.include({ message: 'unknown command "xyzzy"; try //help' });
    expect((await alice.command('//bna bob')).message).to.not.match(/\/\/ban/);
  });

  it('//msg to a user that does not exist says no such user; to one offline, that it waits for them', async () => {
    expect(await alice.command('//msg nosuchuser hello')).to.include({ code: 'NO_SUCH_USER', message: 'no such user: nosuchuser' });
    // DESIGN.md "Conversations": an offline user's DMs are kept for their next login.
    expect(await alice.command('//msg carol hello')).to.include({ type: 'result', text: 'carol is offline; they get it when they next log in' });
  });
});
