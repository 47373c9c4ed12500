import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppConfig } from '../config/app.config';
import { loadEnv } from '../config/config.loader';
import type { Principal } from '../common/request-context';
import { AuthErrorCode, AuthException } from '../auth/auth.exception';
import { AdminRoles, ProductionSafe } from './admin.decorators';
import { AdminGuard } from './admin.guard';

class FakeAdminController {
  read(): void {}
  mutate(): void {}
  @ProductionSafe()
  safeMutate(): void {}
  @AdminRoles('admin')
  adminOnlyRead(): void {}
  @AdminRoles('admin', 'auditor')
  @ProductionSafe()
  auditorMayMutate(): void {}
}

type Handler = keyof FakeAdminController;

const PRODUCTION = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', ADMIN_API_KEY: 'k'.repeat(32) };

function guardFor(env: Record<string, string>): AdminGuard {
  return new AdminGuard(new Reflector(), new AppConfig(loadEnv(env)));
}

function contextFor(method: string, handler: Handler, principal?: Principal): ExecutionContext {
  const request = { method, principal };
  return {
    getHandler: () => FakeAdminController.prototype[handler],
    getClass: () => FakeAdminController,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}), getNext: () => undefined }),
  } as unknown as ExecutionContext;
}

const as = (role: Principal['role']): Principal => ({ keyId: `${role}-key`, role, tenantId: 't', name: role });

function refusal(guard: AdminGuard, context: ExecutionContext): AuthErrorCode {
  try {
    guard.canActivate(context);
  } catch (err) {
    if (err instanceof AuthException) return err.code;
    throw err;
  }
  throw new Error('expected the guard to refuse');
}

describe(AdminGuard.name, () => {
  describe('outside production', () => {
    const guard = guardFor({ NODE_ENV: 'development' });

    it.each(['GET', 'HEAD'])('lets admin and auditor keys %s read routes', (method) => {
      expect(guard.canActivate(contextFor(method, 'read', as('admin')))).toBe(true);
      expect(guard.canActivate(contextFor(method, 'read', as('auditor')))).toBe(true);
    });

    it('refuses client keys on read routes', () => {
      expect(refusal(guard, contextFor('GET', 'read', as('client')))).toBe(AuthErrorCode.InsufficientRole);
    });

    it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('lets only admin keys %s state-changing routes', (method) => {
      expect(guard.canActivate(contextFor(method, 'mutate', as('admin')))).toBe(true);
      expect(refusal(guard, contextFor(method, 'mutate', as('auditor')))).toBe(AuthErrorCode.InsufficientRole);
      expect(refusal(guard, contextFor(method, 'mutate', as('client')))).toBe(AuthErrorCode.InsufficientRole);
    });

    it('lets a route override the default roles', () => {
      expect(refusal(guard, contextFor('GET', 'adminOnlyRead', as('auditor')))).toBe(AuthErrorCode.InsufficientRole);
      expect(guard.canActivate(contextFor('POST', 'auditorMayMutate', as('auditor')))).toBe(true);
    });

    it('answers 401-class when no principal reached it', () => {
      expect(refusal(guard, contextFor('GET', 'read'))).toBe(AuthErrorCode.MissingCredentials);
    });
  });

  describe('in production', () => {
    const guard = guardFor(PRODUCTION);

    it.each(['POST', 'PUT', 'PATCH', 'DELETE'])(
      'refuses %s on a state-changing route not marked production-safe, even for admin',
      (method) => {
        expect(refusal(guard, contextFor(method, 'mutate', as('admin')))).toBe(AuthErrorCode.ProductionReadOnly);
      },
    );

    it('allows state-changing routes marked @ProductionSafe()', () => {
      expect(guard.canActivate(contextFor('POST', 'safeMutate', as('admin')))).toBe(true);
      expect(guard.canActivate(contextFor('DELETE', 'auditorMayMutate', as('auditor')))).toBe(true);
    });

    it('keeps read routes open to admin and auditor keys', () => {
      expect(guard.canActivate(contextFor('GET', 'read', as('admin')))).toBe(true);
      expect(guard.canActivate(contextFor('GET', 'read', as('auditor')))).toBe(true);
    });

    it('checks the role before the production rule, so a wrong role is still 403 InsufficientRole', () => {
      expect(refusal(guard, contextFor('POST', 'mutate', as('client')))).toBe(AuthErrorCode.InsufficientRole);
      expect(refusal(guard, contextFor('POST', 'safeMutate', as('auditor')))).toBe(AuthErrorCode.InsufficientRole);
    });
  });
});
