import type { FastifyInstance } from 'fastify';
import { CommonErrorCode, CommonException } from './common.exception';

export const MAX_JSON_DEPTH = 64;

/** Depth of a parsed JSON value, walked iteratively so hostile nesting cannot overflow the stack. */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Cheap pre-check; `\u` is included because `"\u005f_proto__"` is the same key written with an escape. */
function mayHavePollutionKeys(text: string): boolean {
  return text.includes('__proto__') || text.includes('constructor') || text.includes('\\u');
}

function rejectPollution(key: string, value: unknown): unknown {
  if (key === '__proto__')
    throw new CommonException(CommonErrorCode.BadRequest, 'Body contains a forbidden "__proto__" key.');
  if (key === 'constructor' && value !== null && typeof value === 'object' && 'prototype' in value)
    throw new CommonException(CommonErrorCode.BadRequest, 'Body contains a forbidden "constructor.prototype" key.');
  return value;
}

/**
 * The only JSON body parser: strict JSON, size capped by Fastify's bodyLimit, nesting capped at
 * MAX_JSON_DEPTH, prototype-pollution keys refused. Every failure is a CommonException, so the client
 * gets a precise 400 problem instead of a 500 from deep recursion in validation.
 */
export function registerJsonBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  // Fastify's defaults (JSON, text/plain) go: this API accepts JSON only, and says so with 415.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    /^application\/([\w.+-]+\+)?json(\s*;.*)?$/i,
    { parseAs: 'string', bodyLimit },
    (request, body, done) => {
      // An unknown route answers 404 whatever its body; parsing it would turn that into a 400.
      if (request.is404) {
        done(null, undefined);
        return;
      }
      const text = body as string;
      if (text.length === 0) {
        done(new CommonException(CommonErrorCode.MalformedJson, 'Request body is empty; send a JSON document.'));
        return;
      }
      let parsed: unknown;
      try {
        parsed = mayHavePollutionKeys(text) ? JSON.parse(text, rejectPollution) : JSON.parse(text);
      } catch (err) {
        if (err instanceof CommonException) done(err);
        else
          done(
            new CommonException(
              CommonErrorCode.MalformedJson,
              `Request body is not valid JSON: ${(err as Error).message}`,
            ),
          );
        return;
      }
      if (jsonDepthExceeds(parsed, MAX_JSON_DEPTH)) {
        done(new CommonException(CommonErrorCode.BadRequest, `JSON nesting deeper than ${MAX_JSON_DEPTH} levels.`));
        return;
      }
      done(null, parsed);
    },
  );
}
