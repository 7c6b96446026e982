import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Where every app serves its OpenAPI document: the UI at /docs, the JSON at /docs-json. */
export const OPEN_API_PATH = 'docs';

// The UI's own files, served by two routes: SwaggerModule's UI would need @fastify/static (and its
// dependency tree) only to serve these.
const UI_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css',
  'swagger-ui-bundle.js': 'application/javascript',
};

/**
 * Serves the app's OpenAPI 3 document (built from its controllers' decorators) as JSON at
 * `/docs-json` and YAML at `/docs-yaml`, and the Swagger UI reading it at `/docs`.
 */
export function serveOpenApi(app: NestFastifyApplication, title: string): void {
  const config = new DocumentBuilder()
    .setTitle(title)
    .setDescription(
      'Status, health, metrics and the management API (docs/management-api.md). Mutating calls ' +
        'need `Authorization: Bearer <http.token>` when a token is configured.',
    )
    .addBearerAuth()
    .build();
  SwaggerModule.setup(OPEN_API_PATH, app, () => SwaggerModule.createDocument(app, config), { ui: false });
  const fastify = app.getHttpAdapter().getInstance();
  const page = uiPage(title);
  fastify.get(`/${OPEN_API_PATH}`, (_request, reply) => reply.type('text/html').send(page));
  const dir = dirname(require.resolve('swagger-ui-dist/package.json'));
  for (const [file, type] of Object.entries(UI_FILES)) {
    let content: Buffer | undefined;
    fastify.get(`/${OPEN_API_PATH}/${file}`, (_request, reply) =>
      reply.type(type).send((content ??= readFileSync(join(dir, file)))),
    );
  }
}

function uiPage(title: string): string {
  const escaped = title.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escaped}</title>
<link rel="stylesheet" href="/${OPEN_API_PATH}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/${OPEN_API_PATH}/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/${OPEN_API_PATH}-json', dom_id: '#swagger-ui' });</script>
</body></html>
`;
}
