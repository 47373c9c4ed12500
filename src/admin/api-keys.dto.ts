import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsDate,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  MinDate,
} from 'class-validator';
import { API_KEY_ROLES, TENANT_ID_PATTERN, type ApiKeyRole } from '../auth/api-key.format';
import { toBool, toDate, toInt } from '../common/query.transforms';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'billing-service', description: 'Human label, 1-100 chars.' })
  @IsString()
  @Length(1, 100)
  @Matches(/^[^\p{Cc}]+$/u, { message: 'name must not contain control characters' })
  name!: string;

  @ApiProperty({ enum: API_KEY_ROLES, example: 'client' })
  @IsIn(API_KEY_ROLES)
  role!: ApiKeyRole;

  @ApiProperty({ example: 'acme', description: 'Tenant the key acts for: letters, digits, _ . -, max 64.' })
  @IsString()
  @Matches(TENANT_ID_PATTERN, {
    message: 'tenantId must be 1-64 chars of letters, digits, _ . - and start with a letter or digit',
  })
  tenantId!: string;

  @ApiPropertyOptional({ example: '2027-01-01T00:00:00Z', description: 'Expiry (ISO 8601, future).' })
  @IsOptional()
  @Transform(toDate)
  @IsDate({ message: 'expiresAt must be an ISO 8601 date-time' })
  @MinDate(() => new Date(), { message: 'expiresAt must be in the future' })
  expiresAt?: Date;
}

export class ListApiKeysQuery {
  @ApiPropertyOptional({ example: 'acme' })
  @IsOptional()
  @IsString()
  @Matches(TENANT_ID_PATTERN)
  tenantId?: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  includeRevoked?: boolean;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor from the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class ApiKeyIdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id!: string;
}

export class ApiKeyResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'billing-service' }) name!: string;
  @ApiProperty({ enum: API_KEY_ROLES }) role!: ApiKeyRole;
  @ApiProperty({ example: 'acme' }) tenantId!: string;
  @ApiProperty({ example: 'bwk_Ab3dE5gH', description: 'Non-secret prefix of the key.' }) prefix!: string;
  @ApiProperty({ description: 'True for the key bootstrapped from ADMIN_API_KEY.' }) bootstrap!: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) createdBy!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) expiresAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) revokedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastUsedAt!: string | null;
}

export class CreatedApiKeyResponse extends ApiKeyResponse {
  @ApiProperty({
    example: 'bwk_Ab3dE5gH_q0JX0m4f0eYlQm3xR1G3n5cV0v2bC7sS8tT9uU1wW2y',
    description: 'The secret. Shown once; only its hash is stored.',
  })
  key!: string;
}

export class ApiKeyPageResponse {
  @ApiProperty({ type: [ApiKeyResponse] }) items!: ApiKeyResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
