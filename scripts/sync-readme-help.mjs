// Rewrites the README's help blocks from the built CLI's --help and merge --help (tests check they agree).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const readme = new URL('../README.md', import.meta.url);
const help = (...args) =>
  execFileSync(process.execPath, [new URL('../bin/parfetch.js', import.meta.url).pathname, ...args, '--help'], {
    encoding: 'utf8',
    env: { ...process.env, COLUMNS: '80' },
  });
const text = readFileSync(readme, 'utf8');
let next = text;
for (const [marker, args] of [
  ['help', []],
  ['help merge', ['merge']],
]) {
  const block = new RegExp(`(<!-- ${marker} -->\\n\`\`\`text\\n)[\\s\\S]*?\`\`\``);
  next = next.replace(block, (_, head) => `${head}${help(...args).trimEnd()}\n\`\`\``);
}
writeFileSync(readme, next);
console.log(next === text ? 'README help blocks already up to date' : 'README help blocks updated');
