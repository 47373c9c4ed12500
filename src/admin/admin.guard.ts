import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app.config';
import type { ApiKeyRole } from '../auth/api-key.format';
import { AuthErrorCode, AuthException } from '../auth/auth.exception';

export const PRODUCTION_SAFE = 'bulwark:production-safe';
export const ADMIN_ROLES = 'bulwark:admin-roles';

const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * Runs after authentication. Read routes are open to admin and auditor keys, state-changing routes to
 * admin keys only; in production a state-changing route answers 403 unless marked @ProductionSafe().
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = request.principal;
    if (!principal) throw new AuthException(AuthErrorCode.MissingCredentials, 'Admin routes need an API key.');
    const readOnly = READ_METHODS.has(request.method);
    const roles =
      this.reflector.get<ApiKeyRole[] | undefined>(ADMIN_ROLES, context.getHandler()) ??
      (readOnly ? ['admin', 'auditor'] : ['admin']);
    if (!roles.includes(principal.role))
      throw new AuthException(
        AuthErrorCode.InsufficientRole,
        `This route needs one of the roles: ${roles.join(', ')}; the key has role ${principal.role}.`,
      );
    if (!readOnly && this.config.isProduction && !this.reflector.get<boolean>(PRODUCTION_SAFE, context.getHandler()))
      throw new AuthException(
        AuthErrorCode.ProductionReadOnly,
        'This admin route changes state and is disabled in production.',
      );
    return true;
  }
}
