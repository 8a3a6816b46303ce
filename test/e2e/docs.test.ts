import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { post, startTestCluster, type TestCluster } from '../helpers/cluster.js';

const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules/.bin/tsx');
const EXAMPLES = join(process.cwd(), 'docs/examples');

/** The Markdown pages a user reads: the README, docs/ and the tools' READMEs. */
function pages(): string[] {
  const tools = readdirSync('functions/tools', { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `functions/tools/${entry.name}/README.md`);
  const docs = readdirSync('docs')
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs, ...tools.filter((file) => readdirSync(join(file, '..')).includes('README.md'))];
}

const MARKER = /^<!-- checked: (\S+) -->$/;

/** Every TypeScript block of a page, with the checked example file its marker names (the line before the fence). */
function typescriptBlocks(page: string): { line: number; example?: string; text: string }[] {
  const lines = readFileSync(page, 'utf8').split('\n');
  const blocks: { line: number; example?: string; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)```ts$/.exec(lines[i]!);
    if (!fence) continue;
    const indent = fence[1]!;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && lines[j] !== `${indent}\`\`\``; j++) body.push(lines[j]!.slice(indent.length));
    const example = MARKER.exec((lines[i - 1] ?? '').trim())?.[1];
    blocks.push({ line: i + 1, ...(example ? { example } : {}), text: `${body.join('\n')}\n` });
    i = j;
  }
  return blocks;
}

describe('the docs: every TypeScript snippet is a checked example, and the examples run', () => {
  it('marks every TypeScript block of the README and docs with the example file it is, and shows that file exactly', () => {
    let checked = 0;
    for (const page of pages()) {
      for (const block of typescriptBlocks(page)) {
        assert.ok(
          block.example,
          `${page}:${block.line}: a TypeScript block without "<!-- checked: docs/examples/... -->"`,
        );
        assert.ok(block.example.startsWith('docs/examples/'), `${page}:${block.line}: ${block.example}`);
        assert.equal(
          block.text,
          readFileSync(block.example, 'utf8'),
          `${page}:${block.line} differs from ${block.example}`,
        );
        checked++;
      }
    }
    assert.ok(checked >= 4, `only ${checked} blocks were checked`);
  });

  describe('against a local cluster serving the example tool', () => {
    let workDir: string;
    let cluster: TestCluster;

    before(async () => {
      // The README's snippets read .mcp-local/dev.json from where they run: a folder of their own here.
      workDir = mkdtempSync(join(tmpdir(), 'mcp-cluster-docs-'));
      cluster = await startTestCluster({
        stateDir: join(workDir, '.mcp-local'),
        workers: 1,
        extraToolDirs: [EXAMPLES],
        extraResourceDirs: [join(EXAMPLES, 'resources')],
        extraPromptDirs: [join(EXAMPLES, 'prompts')],
      });
    });
    after(async () => {
      await cluster?.dispose();
      rmSync(workDir, { recursive: true, force: true });
    });

    it("runs the README's SDK client as written: it connects and gets a forecast", async () => {
      const { stdout } = await run(TSX, [join(EXAMPLES, 'sdk-client.ts')], { cwd: workDir, timeout: 30_000 });
      assert.match(stdout, /Lisbon/);
      assert.doesNotMatch(stdout, /isError: true/);
    });

    it('runs the idempotency example as written: the retry is a replay and the account is deleted once', async () => {
      const before = cluster.demoUpstreams.deleteRequests();
      const { stdout } = await run(TSX, [join(EXAMPLES, 'idempotent-delete.ts')], { cwd: workDir, timeout: 30_000 });
      assert.match(stdout, /userId: 'u-1003',\s+deleted: true/);
      assert.match(stdout, /replay: true/);
      assert.equal(cluster.demoUpstreams.deleteRequests() - before, 1, 'the directory saw one deletion');
    });

    it("serves the README's resource template and prompt once their folders are added, completions included", async () => {
      const rpc = async (method: string, params: Record<string, unknown>) =>
        (await (
          await post(
            cluster.url,
            { jsonrpc: '2.0', id: 1, method, params },
            { authorization: `Bearer ${cluster.apiKey}` },
          )
        ).json()) as { result?: Record<string, unknown>; error?: { code: number } };
      const read = await rpc('resources/read', { uri: 'runbook://checkout' });
      assert.match(JSON.stringify(read.result), /payment provider status page/);
      assert.equal((await rpc('resources/read', { uri: 'runbook://billing' })).error?.code, -32002);
      const prompt = await rpc('prompts/get', { name: 'incident_summary', arguments: { service: 'search' } });
      assert.match(JSON.stringify(prompt.result), /runbook:\/\/search/);
      const completed = await rpc('completion/complete', {
        ref: { type: 'ref/resource', uri: 'runbook://{service}' },
        argument: { name: 'service', value: 'ch' },
      });
      assert.deepEqual((completed.result!.completion as { values: string[] }).values, ['checkout']);
    });

    it("runs the README's progress client as written: it confirms, then gets each report and the log lines before the result", async () => {
      const { stdout } = await run(TSX, [join(EXAMPLES, 'progress-client.ts')], { cwd: workDir, timeout: 30_000 });
      const lines = stdout.trim().split('\n');
      const asked = lines.findIndex((line) => /^asked: Rebuild the articles index \(3 shards\)\?/.test(line));
      assert.ok(asked >= 0, stdout);
      // The tool's own reports (the v2 SDK also reports its input rounds to onprogress, without a total).
      const reports = lines.slice(asked + 1).filter((line) => /^(progress \d+\/3|log \(info\))/.test(line));
      assert.deepEqual(
        reports.map((line) => line.replace(/:.*$/, '')),
        ['progress 1/3', 'log (info)', 'progress 2/3', 'log (info)', 'progress 3/3', 'log (info)'],
        stdout,
      );
      assert.match(lines.at(-1)!, /collection: 'articles'/);
    });

    it("serves the README's worked example tool once its folder is added", async () => {
      const response = await post(
        cluster.url,
        {
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'convert_temperature', arguments: { value: 100, from: 'C', to: 'F' } },
        },
        { authorization: `Bearer ${cluster.apiKey}` },
      );
      const body = (await response.json()) as { result: { structuredContent: unknown } };
      assert.deepEqual(body.result.structuredContent, { value: 212, unit: 'F' });
    });
  });
});
