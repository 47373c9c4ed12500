import { applyDecorators, Controller, SetMetadata, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiSecurity,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminRoute } from '../auth/auth.decorators';
import type { ApiKeyRole } from '../auth/api-key.format';
import { ADMIN_ROLES, AdminGuard, PRODUCTION_SAFE } from './admin.guard';

/**
 * An admin controller under /api/admin/<path>: authenticated, role-checked by AdminGuard, hidden when
 * ADMIN_ROUTES_ENABLED=false, and documented in Swagger with the API-key scheme.
 */
export function AdminController(path: string, tag: string): ClassDecorator {
  return applyDecorators(
    Controller(`api/admin/${path}`),
    AdminRoute(),
    UseGuards(AdminGuard),
    ApiTags(tag),
    ApiSecurity('api-key'),
    ApiBearerAuth('bearer'),
    ApiUnauthorizedResponse({ description: 'No API key, or an unknown, revoked or expired one (problem+json).' }),
    ApiForbiddenResponse({
      description: 'Role not allowed, or a state-changing route called in production (problem+json).',
    }),
    ApiNotFoundResponse({ description: 'Admin routes are disabled (ADMIN_ROUTES_ENABLED=false).' }),
  );
}

/** A state-changing admin route that may run in production (the default is 403 there). */
export const ProductionSafe = (): MethodDecorator => SetMetadata(PRODUCTION_SAFE, true);

/** Overrides the default roles: GET/HEAD admin or auditor, anything else admin only. */
export const AdminRoles = (...roles: ApiKeyRole[]): MethodDecorator => SetMetadata(ADMIN_ROLES, roles);
