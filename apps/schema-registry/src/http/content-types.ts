import { type FastifyInstance, type FastifyRequest } from 'fastify';
import { RegistryErrors } from '../errors/registry-error';

/** What Confluent clients send; plain JSON is accepted too. */
export const REQUEST_CONTENT_TYPES = [
  'application/vnd.schemaregistry.v1+json',
  'application/vnd.schemaregistry+json',
  'application/json',
] as const;

/** What every response is labelled with, as Confluent does. */
export const RESPONSE_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** Parses a JSON body; an empty body is no body, malformed JSON is a 400 in Confluent's shape. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw RegistryErrors.http(400, `Malformed JSON request body: ${(error as Error).message}`);
  }
}

/**
 * Teaches fastify the registry's media types: only the JSON flavours above are parsed (anything
 * else is a 415), and every response carries the registry's content type.
 */
export function configureContentTypes(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    [...REQUEST_CONTENT_TYPES],
    { parseAs: 'string' },
    (_request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
      try {
        done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8')));
      } catch (error) {
        done(error as Error);
      }
    },
  );
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('content-type', RESPONSE_CONTENT_TYPE);
    done(null, payload);
  });
}
