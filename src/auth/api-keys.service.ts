import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../config/app.config';
import type { Principal } from '../common/request-context';
import { createPlainLogger, ROOT_LOGGER } from '../observability/logger.factory';
import { generateApiKey, hashApiKey, MAX_CREDENTIAL_LENGTH, type ApiKeyRole } from './api-key.format';
import { AuthErrorCode, AuthException } from './auth.exception';
import { ApiKeysRepository, type ApiKeyRow } from './api-keys.repository';

export interface ApiKeyView {
  id: string;
  name: string;
  role: ApiKeyRole;
  tenantId: string;
  prefix: string;
  bootstrap: boolean;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface ApiKeyPage {
  items: ApiKeyView[];
  nextCursor: string | null;
}

interface CacheEntry {
  principal: Principal;
  cachedUntil: number;
  keyExpiresAt: number;
}

const MAX_CACHE_ENTRIES = 10_000;
const LAST_USED_RESOLUTION_MS = 60_000;
const BOOTSTRAP_TENANT = 'system';

function toView(r: ApiKeyRow): ApiKeyView {
  const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    tenantId: r.tenant_id,
    prefix: r.key_prefix,
    bootstrap: r.is_bootstrap,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
    expiresAt: iso(r.expires_at),
    revokedAt: iso(r.revoked_at),
    lastUsedAt: iso(r.last_used_at),
  };
}

function encodeCursor(row: { cursor_created_at: string; id: string }): string {
  return Buffer.from(JSON.stringify([row.cursor_created_at, row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } | undefined {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt))) return undefined;
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    return { createdAt, id };
  } catch {
    return undefined;
  }
}

@Injectable()
export class ApiKeysService implements OnApplicationBootstrap {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly lastTouched = new Map<string, number>();
  private bootstrapped = false;

  constructor(
    private readonly repo: ApiKeysRepository,
    private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureBootstrapped();
  }

  /**
   * With DB_MIGRATE_ON_BOOT=false the schema may not exist yet at boot (the migration job runs alongside).
   * The process must still start, so readiness can say "pending migrations"; the admin key is then
   * bootstrapped by the first authentication after the migrations ran.
   */
  private async ensureBootstrapped(): Promise<void> {
    if (this.bootstrapped) return;
    try {
      await this.bootstrapAdminKey();
      this.bootstrapped = true;
    } catch (err) {
      this.logger.warn({ err }, 'admin API key not bootstrapped yet (database not migrated?); will retry');
    }
  }

  /** Resolves a presented secret to its principal, or undefined when it is unknown, revoked or expired. */
  async authenticate(secret: string): Promise<Principal | undefined> {
    if (secret.length === 0 || secret.length > MAX_CREDENTIAL_LENGTH) return undefined;
    if (!this.bootstrapped) await this.ensureBootstrapped();
    const hash = hashApiKey(secret);
    const cacheKey = hash.toString('base64');
    const now = Date.now();
    const hit = this.cache.get(cacheKey);
    if (hit && hit.cachedUntil > now && hit.keyExpiresAt > now) return hit.principal;
    if (hit) this.cache.delete(cacheKey);
    const row = await this.repo.findUsableByHash(hash);
    if (!row) return undefined;
    const principal: Principal = { keyId: row.id, role: row.role, tenantId: row.tenant_id, name: row.name };
    const ttl = this.config.env.AUTH_CACHE_TTL_MS;
    if (ttl > 0) {
      if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(cacheKey, {
        principal,
        cachedUntil: now + ttl,
        keyExpiresAt: row.expires_at ? new Date(row.expires_at).getTime() : Number.POSITIVE_INFINITY,
      });
    }
    this.touch(row.id, now);
    return principal;
  }

  async create(
    input: { name: string; role: ApiKeyRole; tenantId: string; expiresAt?: Date },
    createdBy: string | null,
  ): Promise<{ key: ApiKeyView; secret: string }> {
    const generated = generateApiKey();
    const row = await this.repo.insert({
      name: input.name,
      role: input.role,
      tenantId: input.tenantId,
      prefix: generated.prefix,
      hash: generated.hash,
      isBootstrap: false,
      createdBy,
      expiresAt: input.expiresAt ?? null,
    });
    return { key: toView(row), secret: generated.secret };
  }

  async list(filter: {
    tenantId?: string;
    includeRevoked?: boolean;
    limit?: number;
    cursor?: string;
  }): Promise<ApiKeyPage> {
    const limit = filter.limit ?? 50;
    const after = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor);
    if (filter.cursor !== undefined && !after)
      throw new AuthException(AuthErrorCode.InvalidCursor, 'cursor is not a value returned by this endpoint.');
    const rows = await this.repo.list({
      tenantId: filter.tenantId,
      includeRevoked: filter.includeRevoked ?? false,
      limit: limit + 1,
      after,
    });
    const page = rows.slice(0, limit);
    return { items: page.map(toView), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]) : null };
  }

  async revoke(id: string): Promise<ApiKeyView> {
    const result = await this.repo.revoke(id);
    if (!result) throw new AuthException(AuthErrorCode.ApiKeyNotFound, `No API key with id ${id}.`);
    if (!result.changed)
      throw new AuthException(AuthErrorCode.ApiKeyAlreadyRevoked, `API key ${id} is already revoked.`);
    for (const [k, entry] of this.cache) if (entry.principal.keyId === id) this.cache.delete(k);
    return toView(result.row);
  }

  private touch(id: string, now: number): void {
    const last = this.lastTouched.get(id) ?? 0;
    if (now - last < LAST_USED_RESOLUTION_MS) return;
    this.lastTouched.set(id, now);
    // Bookkeeping only: a failed update must not fail the request that authenticated.
    this.repo.touchLastUsed(id).catch((err: unknown) => this.logger.warn({ err }, 'could not record API key use'));
  }

  /**
   * Makes ADMIN_API_KEY (or, outside production, a key generated for this run) a usable admin key, and
   * revokes bootstrap keys from earlier configurations so a rotated key stops working.
   */
  private async bootstrapAdminKey(): Promise<void> {
    const configured = this.config.env.ADMIN_API_KEY;
    if (!configured && this.config.isProduction) return;
    const secret = configured ?? generateApiKey().secret;
    const hash = hashApiKey(secret);
    await this.repo.revokeOtherBootstrapKeys(hash);
    if (await this.repo.existsByHash(hash)) return;
    try {
      await this.repo.insert({
        name: 'bootstrap-admin',
        role: 'admin',
        tenantId: BOOTSTRAP_TENANT,
        prefix: configured ? 'env:ADMIN_API_KEY' : secret.slice(0, 12),
        hash,
        isBootstrap: true,
        createdBy: null,
        expiresAt: null,
      });
    } catch (err) {
      // Another instance may have inserted it at the same moment; otherwise the unique hash index says the
      // key existed and was revoked, and revocation wins over configuration.
      if (await this.repo.existsByHash(hash)) return;
      this.logger.error({ err }, 'ADMIN_API_KEY was revoked through the API; configure a new one');
      return;
    }
    // The root logger masks every bwk_ key, as it should; this one line exists to hand the key over.
    if (!configured && !this.config.isTest)
      createPlainLogger(this.logger).warn(
        `ADMIN_API_KEY is not set; generated an admin API key for this run: ${secret} (set ADMIN_API_KEY to keep one)`,
      );
  }
}
