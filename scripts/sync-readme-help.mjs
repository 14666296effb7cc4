// Rewrites the README's help block from the built CLI's --help (a test checks they agree).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const readme = new URL('../README.md', import.meta.url);
const help = execFileSync(process.execPath, [new URL('../bin/parfetch.js', import.meta.url).pathname, '--help'], {
  encoding: 'utf8',
  env: { ...process.env, COLUMNS: '80' },
});
const text = readFileSync(readme, 'utf8');
const next = text.replace(/(<!-- help -->\n```text\n)[\s\S]*?```/, (_, head) => `${head}${help.trimEnd()}\n\`\`\``);
writeFileSync(readme, next);
console.log(next === text ? 'README help block already up to date' : 'README help block updated');
