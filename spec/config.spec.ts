import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { buildConfig, defaultConfig, loadConfigFile } from '../lib/config.js';
import { ROOT } from './helpers/world.js';

describe('config', () => {
  it('chatd.example.json mirrors the defaults exactly', () => {
    const example = JSON.parse(fs.readFileSync(path.join(ROOT, 'chatd.example.json'), 'utf8'));
    expect(example).to.deep.equal(JSON.parse(JSON.stringify(defaultConfig())));
    expect(() => buildConfig(loadConfigFile(path.join(ROOT, 'chatd.example.json')))).to.not.throw();
  });

  it('layers file and flags over the defaults, limits merged key by key', () => {
    const c = buildConfig({ limits: { floodBurst: 50 }, prefix: '!' }, { prefix: '::', port: undefined });
    expect(c.prefix).to.equal('::');
    expect(c.port).to.equal(7443);
    expect(c.limits.floodBurst).to.equal(50);
    expect(c.limits.floodRate).to.equal(5);
  });

  it('names every bad setting in one error', () => {
    let message = '';
    try { buildConfig({ port: 70000, prefix: 'a b', limits: { nope: 1, floodRate: -1 } as never }); } catch (e) { message = (e as Error).message; }
    for (const part of ['port must be 0-65535', 'prefix must be', 'limits.nope is not a known limit', 'limits.floodRate must be a non-negative number']) {
      expect(message).to.contain(part);
    }
  });

  // A connIpRate of 0 under a burst never refills: each address (a NAT's users together) got its first
  // 100 connections and was refused for good. The limit is turned off by connIpBurst 0.
  it('refuses a connIpRate of 0 unless connIpBurst 0 turns the limit off', () => {
    expect(() => buildConfig({ limits: { connIpRate: 0 } })).to.throw(/limits\.connIpRate must be more than 0.*connIpBurst 0/);
    expect(buildConfig({ limits: { connIpBurst: 0, connIpRate: 0 } }).limits.connIpBurst).to.equal(0);
    expect(buildConfig({ limits: { connIpBurst: 0 } }).limits.connIpRate).to.equal(10);
  });

  // The same for failed logins: in memory an address that used its burst was throttled for good.
  it('refuses a loginIpRate of 0 (a failed-login bucket that never refills)', () => {
    expect(() => buildConfig({ limits: { loginIpRate: 0 } })).to.throw(/limits\.loginIpRate must be more than 0/);
    expect(buildConfig({ limits: { loginIpRate: 0.001 } }).limits.loginIpRate).to.equal(0.001);
  });

  // Command names are case-insensitive: two keys for one command left it to the file's order which won.
  it('refuses two commandLevels keys that name one command', () => {
    expect(() => buildConfig({ commandLevels: { Ban: 100, ban: 1 } })).to.throw(/commandLevels\.Ban and commandLevels\.ban name the same command/);
    expect(buildConfig({ commandLevels: { Ban: 100 } }).commandLevels.Ban).to.equal(100);
  });
});
