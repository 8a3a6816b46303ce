import { defineTool, jsonSchemaInput } from '../../../../shared/tools/define-tool.js';

interface Contact {
  name?: string;
  address?: { street?: string; city?: string };
  contactMethod?: 'phone' | 'email';
  phone?: string;
  email?: string;
}

/** The schema of the suite's reference server, with the 2020-12 keywords zod cannot express. */
const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: {
      $anchor: 'addressDef',
      type: 'object',
      properties: { street: { type: 'string' }, city: { type: 'string' } },
    },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else keyword, not a thenable
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
};

export default defineTool({
  name: 'json_schema_2020_12_tool',
  description: 'Conformance fixture: an input schema with JSON Schema 2020-12 keywords ($defs, $ref, if/then/else).',
  input: jsonSchemaInput<Contact>(schema),
  annotations: { readOnlyHint: true },
  run: async (contact) => `JSON Schema 2020-12 tool called with: ${JSON.stringify(contact)}`,
});
