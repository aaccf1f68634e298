import type { AnyApiRoute } from './api-route';
import { openApiPath } from './openapi';

/**
 * The route table as a Markdown table (method, path, role, summary): docs/api.md embeds it and a test checks that
 * the embedded copy is current.
 */
export function routeTableMarkdown(routes: readonly AnyApiRoute[]): string {
  const rows = routes.map(
    (r) =>
      `| ${r.method} | \`${openApiPath(r.route)}\` | ${r.access === 'anonymous' ? 'anonymous' : `\`${r.access}\``} | ${r.summary.replace(/\|/g, '\\|')} |`,
  );
  return ['| Method | Path | Role | What |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
