import { defineResource } from 'mcp-cluster/tools';

export default defineResource({
  name: 'template_data',
  description: 'Conformance fixture: a resource template whose {id} is substituted into the data.',
  uriTemplate: 'test://template/{id}/data',
  mimeType: 'application/json',
  read: async ({ variables }) =>
    JSON.stringify({ id: variables.id, templateTest: true, data: `Data for ID: ${variables.id}` }),
});
