// Long topics and announcements are audited in full (both engines; MariaDB in strict mode when set).
import { expect } from 'chai';
import { TestClient } from '../helpers/client.js';
import { withChatd } from '../helpers/chatd.js';
import { auditLog, dbKinds } from '../helpers/world.js';

for (const kind of dbKinds()) {
  describe(`e2e: audit of long topics and announcements (${kind})`, function () {
    const t = withChatd({ kind });

    it('a 1,500-character topic and announcement are set, broadcast and audited', async () => {
      const mod = await TestClient.loggedIn(t.port, t.world.certs, 'mod');
      const boss = await TestClient.loggedIn(t.port, t.world.certs, 'boss');
      const topic = 'T'.repeat(1500);
      expect(await mod.command(`//topic ${topic}`)).to.include({ type: 'result' });
      await boss.waitFor((f) => f.type === 'event' && f.event === 'topic' && f.topic === topic);
      const text = 'A'.repeat(1500);
      expect(await boss.command(`//announce ${text}`)).to.include({ type: 'result' });
      const audit = await auditLog(t.world.store, 10);
      expect(audit.find((a) => a.action === 'topic')?.detail).to.equal(topic);
      expect(audit.find((a) => a.action === 'announce')?.detail).to.equal(text);
      mod.close(); boss.close();
    });
  });
}
