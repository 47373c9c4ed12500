import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

/** The baseline: a bare NestJS-Fastify app with the same routes and nothing else. */
@Controller()
class BareController {
  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('api/whoami')
  whoami(): Record<string, string> {
    return { keyId: '00000000-0000-4000-8000-000000000000', role: 'client', tenantId: 'bench', name: 'bench' };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(BareModule, new FastifyAdapter(), { logger: false });
  await app.listen({ port: Number(process.argv[2] ?? process.env.PORT ?? 3100), host: '127.0.0.1' });
}

void main();
