import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { AdminModule } from './admin/admin.module';
import { AuditContextInterceptor } from './audit/audit.context.interceptor';
import { AuditModule } from './audit/audit.module';
import { AuthGuard } from './auth/auth.guard';
import { AuthModule } from './auth/auth.module';
import { CalcModule } from './calc/calc.module';
import { ProblemFilter } from './common/problem.filter';
import { createValidationPipe } from './common/validation.pipe';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { EngineGuardInterceptor } from './engine-guard/engine-guard.interceptor';
import { EngineGuardModule } from './engine-guard/engine-guard.module';
import { HealthModule } from './health/health.module';
import { ObservabilityModule } from './observability/observability.module';

@Module({
  imports: [
    ConfigModule,
    ObservabilityModule,
    DatabaseModule,
    AuditModule,
    AuthModule,
    HealthModule,
    AdminModule,
    EngineGuardModule,
    CalcModule,
  ],
  providers: [
    // Guards run in this order: authentication first, then (per route) AdminGuard.
    { provide: APP_GUARD, useExisting: AuthGuard },
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_FILTER, useClass: ProblemFilter },
    { provide: APP_INTERCEPTOR, useExisting: AuditContextInterceptor },
    // Interceptors run outermost first, in this order: audit context, idempotency, engine-guard sanitiser
    // (innermost, so stored idempotent responses are already clean).
    { provide: APP_INTERCEPTOR, useExisting: EngineGuardInterceptor },
  ],
})
export class AppModule {}
