import { z } from 'zod';
import { defineTool } from '../../../../shared/tools/define-tool.js';
import { SILENT_WAV } from '../fixture-content.js';

export default defineTool({
  name: 'test_audio_content',
  description: 'Conformance fixture: returns one audio block (a WAV file).',
  input: z.object({}),
  annotations: { readOnlyHint: true },
  run: async () => [{ type: 'audio', data: SILENT_WAV, mimeType: 'audio/wav' }],
});
