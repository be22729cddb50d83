// node-forge, loaded on first use. Loading it cost every binary ~40 ms of its start (chatd,
// chat-admin, chat-cli, chat-migrate), and only certificate work needs it: chat-certs, enrollment
// and renewal, `npm start`'s dev certificates.
import { createRequire } from 'node:module';
import type forge from 'node-forge';

const require = createRequire(import.meta.url);
let loaded: typeof forge | undefined;

export function nodeForge(): typeof forge {
  return (loaded ??= require('node-forge') as typeof forge);
}
