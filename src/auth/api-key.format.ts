import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_ROLES = ['client', 'auditor', 'admin'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/** A tenant id: 1-64 letters, digits, `_ . -`, starting with a letter or digit. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Longest credential we hash; anything longer is refused before doing work. */
export const MAX_CREDENTIAL_LENGTH = 512;

export interface GeneratedKey {
  secret: string;
  prefix: string;
  hash: Buffer;
}

/**
 * Keys are `bwk_<8 id chars>_<43 secret chars>`: 256 bits of randomness, so a fast hash (SHA-256) is the
 * right at-rest protection; a slow KDF only matters for low-entropy passwords. The prefix is stored
 * in clear so operators can tell keys apart without the secret.
 */
export function generateApiKey(): GeneratedKey {
  const prefix = `bwk_${randomBytes(6).toString('base64url')}`;
  const secret = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { secret, prefix, hash: hashApiKey(secret) };
}

export function hashApiKey(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

type HeaderValue = string | string[] | undefined;

export type CredentialResult = { kind: 'none' } | { kind: 'ambiguous' } | { kind: 'present'; secret: string };

/**
 * Reads the credential from `X-API-Key` or `Authorization: Bearer`. Repeated headers or two different
 * credentials are refused rather than guessed at.
 */
export function extractCredential(headers: Record<string, HeaderValue>): CredentialResult {
  const apiKey = headers['x-api-key'];
  const authorization = headers['authorization'];
  if (Array.isArray(apiKey) || Array.isArray(authorization)) return { kind: 'ambiguous' };
  const hasAuthorization = typeof authorization === 'string' && authorization.length > 0;
  const bearer = hasAuthorization ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization)?.[1] : undefined;
  const fromHeader = typeof apiKey === 'string' ? apiKey.trim() : undefined;
  if (fromHeader !== undefined && bearer !== undefined && fromHeader !== bearer) return { kind: 'ambiguous' };
  const secret = fromHeader ?? bearer;
  if (secret !== undefined) return { kind: 'present', secret };
  // An Authorization header in another scheme (Basic, a malformed Bearer) is a credential we cannot accept.
  return hasAuthorization ? { kind: 'present', secret: '' } : { kind: 'none' };
}
