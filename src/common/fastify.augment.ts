import type { Principal } from './request-context';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
