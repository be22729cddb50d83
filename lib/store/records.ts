// What the store's rows become: the record types handed to callers, and the mappers from a raw row
// (either engine's column names and number types) to them. Its own module because most concerns of
// the store share these mappers (a ban is read by moderation and by export alike).
import type { DmFrame, MessageFrame } from '../protocol/frames.js';

export type RoleRecord = { name: string; level: number; color: string };
export type UserRecord = {
  id: number; username: string; passwordHash: string; role: string; level: number; color: string;
  disabled: boolean; createdAt: number; lastLogin: number | null;
  /** The user's own name color (`color`, migration 008), already in `color`; null: their role's. */
  nameColor?: string | null;
  roleColor?: string;
  /** Certificates of this name whose notBefore is earlier are refused (cert_cutoffs, migration 011); null: none. */
  certsNotBefore?: number | null;
};
export type BanRecord = {
  id: number; userId: number | null; username: string | null; ip: string | null; certFingerprint: string | null;
  reason: string; by: string; createdAt: number; expiresAt: number | null; liftedAt: number | null;
  /** The level of `by` when the ban was set; null for chat-admin and rows older than migration 004. */
  byLevel: number | null;
};
export type NewBan = Omit<BanRecord, 'id' | 'createdAt' | 'liftedAt' | 'byLevel'> & { createdAt?: number; byLevel?: number | null };
export type AuditEntry = { actor: string; action: string; target?: string | null; detail?: string | null; ts?: number };
export type RoomRecord = { name: string; topic: string; createdAt: number };
export type InviteRecord = {
  id: number; user: string; role: string; tokenHash: string; createdBy: string; createdAt: number; expiresAt: number;
  usedAt: number | null; revokedAt: number | null; existing: boolean;
};
export type NewInvite = Omit<InviteRecord, 'id' | 'usedAt' | 'revokedAt'>;
export type CertSource = 'enroll' | 'renew' | 'chat-certs';
export type CertificateRecord = {
  user: string; fingerprint: string; serial: string; notAfter: number; issuedAt: number; source: CertSource; revokedAt: number | null;
};
/** `until` null: muted until unmuted. */
export type MuteRecord = { userId: number; username: string; until: number | null; by: string; byLevel?: number | null };

/** The password hash of an erased account (`chat-admin purge`): no password matches it. */
export const PURGED_HASH = '!purged';

export const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function toUser(r: any): UserRecord {
  return {
    id: Number(r.id), username: r.username, passwordHash: r.password_hash, role: r.role, level: Number(r.level),
    // A user's own color (migration 008, `color`) over their role's.
    color: r.name_color || r.color, disabled: !!r.disabled, createdAt: Number(r.created_at), lastLogin: num(r.last_login),
    nameColor: r.name_color ?? null, roleColor: r.color, certsNotBefore: num(r.certs_not_before),
  };
}

export function toBan(r: any): BanRecord {
  return {
    id: Number(r.id), userId: num(r.user_id), username: r.username, ip: r.ip, certFingerprint: r.cert_fingerprint,
    reason: r.reason, by: r.by, createdAt: Number(r.created_at), expiresAt: num(r.expires_at), liftedAt: num(r.lifted_at),
    byLevel: num(r.by_level),
  };
}

export function toInvite(r: any): InviteRecord {
  return {
    id: Number(r.id), user: r.user, role: r.role, tokenHash: r.token_hash, createdBy: r.created_by, createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at), usedAt: num(r.used_at), revokedAt: num(r.revoked_at), existing: !!r.existing,
  };
}

export function toCertificate(r: any): CertificateRecord {
  return {
    user: r.user, fingerprint: r.fingerprint, serial: r.serial, notAfter: Number(r.not_after), issuedAt: Number(r.issued_at),
    source: r.source, revokedAt: num(r.revoked_at),
  };
}

export const certRow = (c: Omit<CertificateRecord, 'revokedAt'>) => ({
  user: c.user, fingerprint: c.fingerprint, serial: c.serial, not_after: c.notAfter, issued_at: c.issuedAt, source: c.source,
});

export function toMessage(r: any): MessageFrame {
  return {
    type: 'message', id: r.id, ts: new Date(Number(r.ts)).toISOString(), room: r.room,
    from: { name: r.sender_name, role: r.sender_role, color: r.sender_color }, text: r.text, kind: r.kind === 'me' ? 'me' : 'say',
  };
}

export function toDm(r: any): DmFrame {
  return {
    type: 'dm', id: r.id, ts: new Date(Number(r.ts)).toISOString(), from: { name: r.sender, role: r.sender_role, color: r.sender_color },
    to: r.recipient, text: r.text,
  };
}

/** A message as the store keeps it: the frame plus who sent it. */
export type MessageRow = { frame: MessageFrame; senderId: number | null };
