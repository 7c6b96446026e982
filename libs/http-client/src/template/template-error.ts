import { FatalRecordError } from '@sluice/errors';

/** A request template produced something unusable for this record (an invalid URL, a header with a newline). */
export class TemplateRenderError extends FatalRecordError {
  constructor(message: string) {
    super(message, { code: 'TEMPLATE_RENDER_FAILED' });
  }
}
