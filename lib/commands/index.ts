import type { Command } from './registry.js';
import { CHAT_COMMANDS } from './chat.js';
import { MODERATION_COMMANDS } from './moderation.js';
import { ADMIN_COMMANDS } from './admin.js';
import { SEARCH_COMMANDS } from './search.js';
import { CONVERSATION_COMMANDS } from './conversations.js';

export const ALL_COMMANDS: Command[] = [...CHAT_COMMANDS, ...MODERATION_COMMANDS, ...ADMIN_COMMANDS, ...SEARCH_COMMANDS, ...CONVERSATION_COMMANDS];
