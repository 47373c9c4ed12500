import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'bulwark:public';
export const IS_ADMIN_ROUTE = 'bulwark:admin-route';

/** The route needs no API key (health, metrics, docs). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** Marks a controller as an admin surface: hidden (404) when ADMIN_ROUTES_ENABLED=false. */
export const AdminRoute = (): MethodDecorator & ClassDecorator => SetMetadata(IS_ADMIN_ROUTE, true);
