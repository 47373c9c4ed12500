import { Injectable, NotFoundException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app.config';
import { currentContext } from '../common/request-context';
import { extractCredential } from './api-key.format';
import { IS_ADMIN_ROUTE, IS_PUBLIC } from './auth.decorators';
import { AuthErrorCode, AuthException } from './auth.exception';
import { ApiKeysService } from './api-keys.service';

/**
 * The credential headers as sent. Node joins a repeated X-API-Key into one "a, b" string and keeps only the
 * first Authorization, so `request.headers` cannot show a repetition; the raw header list can.
 */
function credentialHeaders(request: FastifyRequest): {
  'x-api-key'?: string | string[];
  authorization?: string | string[];
} {
  const apiKey: string[] = [];
  const authorization: string[] = [];
  const raw = request.raw.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name === 'x-api-key') apiKey.push(raw[i + 1]);
    else if (name === 'authorization') authorization.push(raw[i + 1]);
  }
  const one = (values: string[]) => (values.length > 1 ? values : values[0]);
  return { 'x-api-key': one(apiKey), authorization: one(authorization) };
}

/**
 * Global authentication: every route needs a valid API key unless marked @Public(). Puts the principal on
 * the request and in the async context. Admin routes that are switched off answer exactly like an unknown
 * route, before any credential check, so their existence is not revealed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeysService,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (this.reflector.getAllAndOverride<boolean>(IS_ADMIN_ROUTE, targets) && !this.config.env.ADMIN_ROUTES_ENABLED)
      // Byte for byte what Nest's not-found handler throws for an unknown route (app.setup normally hides
      // these routes earlier; this covers an admin-marked route mounted outside /api/admin).
      throw new NotFoundException(`Cannot ${request.method} ${request.url}`);
    const credential = extractCredential(credentialHeaders(request));
    if (credential.kind === 'none')
      throw new AuthException(
        AuthErrorCode.MissingCredentials,
        'Send an API key as X-API-Key or Authorization: Bearer.',
      );
    if (credential.kind === 'ambiguous')
      throw new AuthException(AuthErrorCode.AmbiguousCredentials, 'Send exactly one API key, in one header.');
    const principal = await this.apiKeys.authenticate(credential.secret);
    if (!principal)
      throw new AuthException(AuthErrorCode.InvalidCredentials, 'The API key is unknown, revoked or expired.');
    request.principal = principal;
    const ctx = currentContext();
    if (ctx) ctx.principal = principal;
    return true;
  }
}
