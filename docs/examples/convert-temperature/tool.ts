import { defineTool, ToolError } from 'mcp-cluster/tools';
import { z } from 'zod';

const toCelsius = { C: (v: number) => v, F: (v: number) => ((v - 32) * 5) / 9, K: (v: number) => v - 273.15 };
const fromCelsius = { C: (v: number) => v, F: (v: number) => (v * 9) / 5 + 32, K: (v: number) => v + 273.15 };
const unit = z.enum(['C', 'F', 'K']);

export default defineTool({
  name: 'convert_temperature',
  title: 'Convert a temperature',
  description: 'Converts a temperature between Celsius (C), Fahrenheit (F) and Kelvin (K).',
  input: z.object({
    value: z.number().describe('The temperature to convert.'),
    from: unit.describe('Unit of `value`.'),
    to: unit.describe('Unit to convert to.'),
  }),
  output: z.object({ value: z.number(), unit }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  async run({ value, from, to }) {
    const celsius = toCelsius[from](value);
    if (celsius < -273.15) throw new ToolError('BELOW_ABSOLUTE_ZERO', 'That temperature is below absolute zero.');
    return { value: Math.round(fromCelsius[to](celsius) * 100) / 100, unit: to };
  },
});
