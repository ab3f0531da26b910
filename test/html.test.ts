// lib/report/html.ts: the report's Markdown as one HTML page, charts drawn from their specs; text
// from the report can never end the page's scripts or inject markup.
import t from 'tap';
import { browserLibraries, renderHtml } from '../lib/report/html.ts';

const markdown = [
  '# quickstart — 2026-11-25 23:15:21 UTC',
  '',
  '**✅ valid — no money created** and _steady_ with `a < b`',
  '',
  '- **database:** PostgreSQL <18>',
  '- **nodes:** 1',
  '',
  '| cell | ok transfers/s | note |',
  '| --- | ---: | --- |',
  '| [steady](#cell-1-steady) | 140 | a \\| b |',
  '',
  '## Cell 1: steady',
  '',
  '![steady: throughput](charts/steady-throughput.svg)',
  '',
  '![no spec](charts/other.svg)',
  '',
  '```sh',
  'npx tsx notebooks/quickstart.ts --seed 1 <x>',
  '```',
].join('\n');

t.test('headings with GitHub anchors, tables with alignment, inline Markdown, code blocks', async (t) => {
  const html = renderHtml(markdown, new Map([['charts/steady-throughput.svg', { mark: 'line', note: '</script><b>' }]]), ['/* lib */']);
  t.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
  t.match(html, '<title>quickstart — 2026-11-25 23:15:21 UTC</title>');
  t.match(html, '<h2 id="cell-1-steady">Cell 1: steady</h2>', 'the anchor the summary table links to');
  t.match(html, '<a href="#cell-1-steady">steady</a>');
  t.match(html, '<th class="r">ok transfers/s</th>');
  t.match(html, '<td class="r">140</td><td>a | b</td>', 'an escaped pipe stays inside its cell');
  t.match(html, '<strong>✅ valid — no money created</strong> and <em>steady</em> with <code>a &lt; b</code>');
  t.match(html, '<li><strong>database:</strong> PostgreSQL &lt;18&gt;</li>');
  t.match(html, '<pre><code class="language-sh">npx tsx notebooks/quickstart.ts --seed 1 &lt;x&gt;</code></pre>');
  t.match(html, '<div class="chart" id="chart-0" role="img" aria-label="steady: throughput"></div>');
  t.match(html, '<img src="charts/other.svg" alt="no spec">', 'an image without a spec stays an image');
  t.notMatch(html.split('id="chart-specs">')[1]!.split('</script>')[0]!, '</script', 'a spec cannot close its script early');
  t.match(html, '<\\/script><b>');
});

t.test('the browser libraries are inlined whole: the page works offline', async (t) => {
  const libraries = await browserLibraries();
  t.equal(libraries.length, 3);
  t.match(libraries[2]!, /vegaEmbed/, 'vega-embed last, after vega and vega-lite');
  const html = renderHtml('# x', new Map(), libraries);
  t.notMatch(html, /<script[^>]+src=/, 'no external script');
  t.ok(html.length > libraries.reduce((n, l) => n + l.length, 0));
});
