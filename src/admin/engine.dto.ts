import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  Matches,
  Max,
  Min,
} from 'class-validator';
import type { GuardMode } from '../engine-guard/engine-guard.settings';

const GUARD_MODES: GuardMode[] = ['null', 'string', 'error'];
const TARGET_KEY = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

export class UpdateEngineGuardDto {
  @ApiPropertyOptional({ description: 'Fault injection on/off (not needed in NODE_ENV=test when faultRate > 0).' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ minimum: 0, maximum: 1, example: 0.1, description: 'Probability a call gets a fault.' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  faultRate?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 4_294_967_295, example: 1337, description: 'Mulberry32 seed.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(4_294_967_295)
  seed?: number;

  @ApiPropertyOptional({ type: [String], example: ['irr', 'percentiles.p95'], description: 'Result paths to hit.' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @Matches(TARGET_KEY, { each: true, message: 'each target key must be a dotted path like percentiles.p95' })
  targetKeys?: string[];

  @ApiPropertyOptional({ description: 'Sanitiser on/off (for diagnosis; ENGINE_GUARD_ENABLED at boot).' })
  @IsOptional()
  @IsBoolean()
  guardEnabled?: boolean;

  @ApiPropertyOptional({ enum: GUARD_MODES, description: 'null | string | error (ENGINE_GUARD_MODE at boot).' })
  @IsOptional()
  @IsIn(GUARD_MODES)
  guardMode?: GuardMode;
}

export class EngineGuardStatus {
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ enum: GUARD_MODES }) mode!: GuardMode;
  @ApiProperty() maxDepth!: number;
  @ApiProperty() maxNodes!: number;
}

export class EngineFaultStatus {
  @ApiProperty({ description: 'The enable flag (ENGINE_FAULT_ENABLE or the last admin update).' }) enabled!: boolean;
  @ApiProperty({ description: 'Whether faults are being injected now.' }) active!: boolean;
  @ApiProperty() rate!: number;
  @ApiProperty() seed!: number;
  @ApiProperty({ type: [String] }) targetKeys!: string[];
}

export class EngineCounts {
  @ApiProperty({ description: 'Engine calls since start.' }) calls!: number;
  @ApiProperty() faultsInjected!: number;
  @ApiProperty({ example: { nan: 1, inf: 0, neg_inf: 2, extreme_pos: 0, extreme_neg: 1 } })
  faultsByKind!: Record<string, number>;
  @ApiProperty({ description: 'Non-finite values the guard replaced.' }) valuesSanitized!: number;
  @ApiProperty({ description: 'Responses that needed fixing.' }) responsesSanitized!: number;
  @ApiProperty({ description: 'Responses handled by the depth/node-limit fallback.' }) limitExceeded!: number;
}

export class EngineStatusResponse {
  @ApiProperty({ enum: ['development', 'test', 'production'] }) environment!: string;
  @ApiProperty({ type: EngineGuardStatus }) guard!: EngineGuardStatus;
  @ApiProperty({ type: EngineFaultStatus }) faults!: EngineFaultStatus;
  @ApiProperty({ type: EngineCounts }) counts!: EngineCounts;
}
