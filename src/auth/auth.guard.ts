import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app.config';
import { CommonErrorCode, CommonException } from '../common/common.exception';
import { currentContext } from '../common/request-context';
import { extractCredential } from './api-key.format';
import { IS_ADMIN_ROUTE, IS_PUBLIC } from './auth.decorators';
import { AuthErrorCode, AuthException } from './auth.exception';
import { ApiKeysService } from './api-keys.service';

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
      throw new CommonException(
        CommonErrorCode.RouteNotFound,
        `Cannot ${request.method} ${request.url.split('?', 1)[0]}`,
      );
    const credential = extractCredential(request.headers);
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
