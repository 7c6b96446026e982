import { z } from 'zod';

type JsonSchema = {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
  description?: string;
};

/** One setting of a configuration schema, as the reference documents it. */
export interface ConfigSetting {
  path: string;
  types: string[];
  required: boolean;
  default?: unknown;
  description: string;
}

/**
 * The settings of a zod configuration schema as a Markdown table (path, type, required, default,
 * description) plus a list of the variants of discriminated unions: the schema is the
 * documentation, so docs generated from it cannot drift from the code.
 */
export function configReferenceMarkdown(schema: z.ZodType): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const rows = new Map<string, ConfigSetting>();
  const variants: string[] = [];
  collect(json, '', true, rows, variants);
  const lines: string[] = [];
  if (rows.size > 0) {
    lines.push('| Setting | Type | Required | Default | Description |', '|---|---|---|---|---|');
    for (const r of rows.values())
      lines.push(
        `| \`${r.path}\` | ${cell(r.types.join(' or '))} | ${r.required ? 'yes' : 'no'} | ${r.default === undefined ? '' : cell(`\`${JSON.stringify(r.default)}\``)} | ${cell(r.description)} |`,
      );
  }
  if (variants.length > 0) lines.push('', ...variants);
  return lines.join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((e) => `\`${JSON.stringify(e)}\``).join(', ');
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return [...new Set(alternatives.map(typeOf))].join(' or ');
  const type = Array.isArray(s.type) ? s.type.join(' or ') : s.type;
  if (type === 'array') return `list of ${s.items ? typeOf(s.items) : 'any'}`;
  if (type === 'object') {
    if (s.properties) return 'map';
    if (typeof s.additionalProperties === 'object') return `map of ${typeOf(s.additionalProperties)}`;
    return 'map';
  }
  return type ?? 'any';
}

function collect(
  s: JsonSchema,
  prefix: string,
  required: boolean,
  rows: Map<string, ConfigSetting>,
  variants: string[],
): void {
  const alternatives = (s.anyOf ?? s.oneOf ?? []).filter((a) => a.properties);
  if (alternatives.length > 0) {
    for (const alt of alternatives) {
      collect(alt, prefix, false, rows, variants);
      const discriminator = Object.entries(alt.properties!).find(([, p]) => p.const !== undefined);
      if (discriminator && alt.description)
        variants.push(
          `- \`${prefix ? `${prefix}.` : ''}${discriminator[0]}: ${String(discriminator[1].const)}\` — ${alt.description}`,
        );
    }
    return;
  }
  if (s.properties) {
    for (const [name, prop] of Object.entries(s.properties)) {
      const path = prefix ? `${prefix}.${name}` : name;
      const isRequired = required && (s.required ?? []).includes(name) && prop.default === undefined;
      const existing = rows.get(path);
      if (existing) {
        for (const t of typeOf(prop).split(' or ')) if (!existing.types.includes(t)) existing.types.push(t);
        existing.description ||= prop.description ?? '';
      } else
        rows.set(path, {
          path,
          types: [typeOf(prop)],
          required: isRequired,
          default: prop.default,
          description: prop.description ?? '',
        });
      const inner = prop.type === 'array' ? prop.items : prop;
      if (inner && (inner.properties || inner.anyOf || inner.oneOf))
        collect(inner, prop.type === 'array' ? `${path}[]` : path, true, rows, variants);
    }
  }
}

const START = '<!-- config:start -->';
const END = '<!-- config:end -->';

/** `doc` with the text between its `<!-- config:start -->` and `<!-- config:end -->` markers replaced. */
export function replaceGeneratedSection(doc: string, generated: string): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start === -1 || end < start) throw new Error(`the document has no ${START} … ${END} section`);
  return `${doc.slice(0, start + START.length)}\n${generated}\n${doc.slice(end)}`;
}
