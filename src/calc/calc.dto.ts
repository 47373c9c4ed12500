import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsISO8601,
  IsNumber,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import type { XirrStatus } from './xirr';

export const MAX_FLOWS = 1_000;
const MAX_AMOUNT = 1e15;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const FINITE = { allowNaN: false, allowInfinity: false };

/** A calendar date, YYYY-MM-DD, that exists (no 2023-02-30). */
function CalendarDate(): PropertyDecorator {
  return (target, key) => {
    Matches(DATE_ONLY, { message: `${String(key)} must be a date as YYYY-MM-DD` })(target, key);
    IsISO8601({ strict: true }, { message: `${String(key)} must be a real calendar date` })(target, key);
  };
}

export class CashFlowDto {
  @ApiProperty({ example: '2020-01-15', description: 'Value date, YYYY-MM-DD (UTC).' })
  @CalendarDate()
  date!: string;

  @ApiProperty({ example: -1_000_000, description: 'Contribution (negative) or distribution (positive).' })
  @IsNumber(FINITE)
  @Min(-MAX_AMOUNT)
  @Max(MAX_AMOUNT)
  amount!: number;
}

export class CalculateRequestDto {
  @ApiProperty({ type: [CashFlowDto], minItems: 1, maxItems: MAX_FLOWS, description: 'Dated cash flows, any order.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_FLOWS)
  @ValidateNested({ each: true })
  @Type(() => CashFlowDto)
  cashFlows!: CashFlowDto[];

  @ApiPropertyOptional({ example: 450_000, default: 0, description: 'Residual value (NAV) still held.' })
  @IsOptional()
  @IsNumber(FINITE)
  @Min(0)
  @Max(MAX_AMOUNT)
  residualValue?: number;

  @ApiPropertyOptional({ example: '2024-12-31', description: 'Date of the residual value; default: last flow.' })
  @IsOptional()
  @CalendarDate()
  valuationDate?: string;

  @ApiPropertyOptional({ example: 0.2, default: 0.2, minimum: 0, maximum: 5, description: 'Annual volatility.' })
  @IsOptional()
  @IsNumber(FINITE)
  @Min(0)
  @Max(5)
  volatility?: number;

  @ApiPropertyOptional({ example: 0.08, default: 0, minimum: -1, maximum: 1, description: 'Annual drift.' })
  @IsOptional()
  @IsNumber(FINITE)
  @Min(-1)
  @Max(1)
  expectedReturn?: number;

  @ApiPropertyOptional({ example: 3, default: 1, minimum: 0, maximum: 50, description: 'Simulation horizon, years.' })
  @IsOptional()
  @IsNumber(FINITE)
  @Min(0)
  @Max(50)
  horizonYears?: number;

  @ApiPropertyOptional({
    example: 10_000,
    default: 10_000,
    minimum: 1,
    description: 'Monte Carlo paths; at most CALC_MAX_SIMULATIONS (100 000 by default).',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  simulations?: number;

  @ApiPropertyOptional({
    example: 42,
    minimum: 0,
    maximum: 4_294_967_295,
    description: 'Seed; same seed, same result.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(4_294_967_295)
  seed?: number;
}

export class PercentilesResponse {
  @ApiProperty({ nullable: true, type: Number }) p5!: number | null;
  @ApiProperty({ nullable: true, type: Number }) p25!: number | null;
  @ApiProperty({ nullable: true, type: Number }) p50!: number | null;
  @ApiProperty({ nullable: true, type: Number }) p75!: number | null;
  @ApiProperty({ nullable: true, type: Number }) p95!: number | null;
}

export class CalculateResponse {
  @ApiProperty({ nullable: true, type: Number, example: 0.1873, description: 'XIRR (ACT/365); null if none.' })
  irr!: number | null;
  @ApiProperty({ enum: ['converged', 'no_root', 'not_converged'] }) irrStatus!: XirrStatus;
  @ApiProperty({ nullable: true, type: Number, example: 1.45 }) moic!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 1.45 }) tvpi!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 1.0 }) dpi!: number | null;
  @ApiProperty({ example: 1_000_000 }) paidIn!: number;
  @ApiProperty({ example: 1_000_000 }) distributed!: number;
  @ApiProperty({ example: 450_000 }) residualValue!: number;
  @ApiProperty({ type: PercentilesResponse, description: 'Terminal TVPI percentiles.' })
  percentiles!: PercentilesResponse;
  @ApiProperty({ example: 10_000 }) simulations!: number;
  @ApiProperty({ example: 42, description: 'The seed used (generated when none was sent).' }) seed!: number;
}
