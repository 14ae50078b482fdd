// Builds what Station runs: the core, hosts and CLI (tsc -> dist/) and the screen (vite -> dist/renderer).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
run(bin('tsc'), ['-p', 'tsconfig.build.json']);
if (fs.existsSync(path.join(root, 'renderer', 'vite.config.mts'))) {
  run(bin('vite'), ['build', '--config', 'renderer/vite.config.mts', '--logLevel', 'warn']);
}
