import { Body, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AUDIT_SINK, type AuditSink } from '../common/audit-sink';
import { AppConfig } from '../config/app.config';
import { EngineFaultsService } from '../engine-guard/engine-faults.service';
import { EngineGuardService } from '../engine-guard/engine-guard.service';
import { EngineGuardSettings } from '../engine-guard/engine-guard.settings';
import { AdminController } from './admin.decorators';
import { EngineStatusResponse, UpdateEngineGuardDto } from './engine.dto';

@AdminController('engine', 'admin: engine')
export class EngineController {
  constructor(
    private readonly settings: EngineGuardSettings,
    private readonly guard: EngineGuardService,
    private readonly faults: EngineFaultsService,
    private readonly config: AppConfig,
    @Inject(AUDIT_SINK) private readonly audit: AuditSink,
  ) {}

  @Get('status')
  @ApiOperation({ summary: 'Guard and fault-injection settings, and counts since start (admin or auditor).' })
  @ApiOkResponse({ type: EngineStatusResponse })
  status(): EngineStatusResponse {
    const s = this.settings.snapshot();
    const env = this.config.env;
    return {
      environment: env.NODE_ENV,
      guard: {
        enabled: s.guardEnabled,
        mode: s.guardMode,
        maxDepth: env.ENGINE_GUARD_MAX_DEPTH,
        maxNodes: env.ENGINE_GUARD_MAX_NODES,
      },
      faults: {
        enabled: s.faultEnabled,
        active: this.settings.faultsActive,
        rate: s.faultRate,
        seed: s.faultSeed,
        targetKeys: s.faultTargetKeys,
      },
      counts: { ...this.faults.getTotals(), ...this.guard.getTotals() },
    };
  }

  // Not @ProductionSafe: AdminGuard answers 403 in production, and the settings refuse it as well.
  @Post('guard')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Change fault injection (and the guard) at once; the generator restarts from the seed. 403 in production.',
  })
  @ApiOkResponse({ type: EngineStatusResponse })
  @ApiBadRequestResponse({ description: 'Invalid body or unknown field (problem+json listing each field).' })
  update(@Body() dto: UpdateEngineGuardDto): EngineStatusResponse {
    const { before, after } = this.settings.update({
      faultEnabled: dto.enabled,
      faultRate: dto.faultRate,
      faultSeed: dto.seed,
      faultTargetKeys: dto.targetKeys,
      guardEnabled: dto.guardEnabled,
      guardMode: dto.guardMode,
    });
    this.audit.record({
      action: 'CONFIG_UPDATED',
      entityType: 'engine_settings',
      entityId: 'engine-guard',
      changes: { before, after },
    });
    return this.status();
  }
}
