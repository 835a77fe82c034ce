import { toJsonSchema, type ConversionConfig, type JsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';

/**
 * Converts a route's valibot schema into the JSON Schema of its request body (OpenAPI 3.1 uses
 * draft 2020-12). The input type is described, since that is what a client sends: defaults show,
 * fields with defaults are optional, and normalising actions (trim, lower-case) are left out.
 * Conversion throws on anything it cannot express and is not handled below, so a new kind of rule
 * makes the OpenAPI test fail instead of silently vanishing from the document.
 */
const CONVERSION: ConversionConfig = {
  target: 'draft-2020-12',
  typeMode: 'input',
  errorMode: 'throw',
  // Normalisations: the client may send either case or spaces; the server tidies them.
  ignoreActions: ['trim', 'to_lower_case'],
  overrideAction: ({ valibotAction, jsonSchema, errors }) => {
    if (errors === undefined) return null; // converted as is
    const action = valibotAction as { type: string; message?: unknown; requirement?: unknown };
    // A custom check (e.g. "must be one of the supported API versions") is not expressible in JSON
    // Schema: the server enforces it with a 422; the document says so in words.
    if (action.type === 'check') return withNote(jsonSchema, `Checked by the server: ${String(action.message)}.`);
    if (action.type === 'regex' && action.requirement instanceof RegExp) {
      const regex = action.requirement;
      // JSON Schema patterns have no flags: the converter kept the bare source, which would be
      // stricter than the server (no upper case for /i); state the rule in words instead.
      if (regex.flags !== '') {
        const { pattern, ...rest } = jsonSchema;
        const kept = pattern === regex.source ? rest : jsonSchema;
        return withNote(kept, `Must match /${regex.source}/${regex.flags}.`);
      }
      // A second pattern on one string: both must hold, which allOf says exactly.
      return { ...jsonSchema, allOf: [...(jsonSchema.allOf ?? []), { pattern: regex.source }] };
    }
    return null;
  },
};

function withNote(schema: JsonSchema, note: string): JsonSchema {
  return { ...schema, description: schema.description ? `${schema.description} ${note}` : note };
}

/** The JSON Schema of what a client may send to a route validated by `schema`. */
export function requestBodySchema(schema: v.GenericSchema): JsonSchema {
  // `$schema` belongs to a standalone document; inside OpenAPI the dialect is declared once.
  const { $schema: _dialect, ...body } = toJsonSchema(schema, CONVERSION);
  return body;
}
