import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL cluster on loopback for tests and benches: `initdb` into a temporary
 * directory, `pg_ctl start` on a free port with its socket in that directory. PostgreSQL refuses
 * to run as root, so as root the binaries run as the `postgres` user (created by the Debian
 * package) on a directory it owns; as anyone else they run as that user.
 */
export type PgCluster = {
  /** Superuser URL of the `postgres` database. */
  url: string;
  host: string;
  port: number;
  user: string;
  binDir: string;
  /** A fresh, empty database; returns its URL. */
  createDatabase(name?: string): Promise<string>;
  stop(): Promise<void>;
};

export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v) && fs.existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed (Debian package "postgresql"; see scripts/system-deps.mjs)');
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0]!;
  return path.join(root, newest, 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function run(binDir: string, tool: string, args: string[]): string {
  const file = path.join(binDir, tool);
  const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

let databases = 0;

export async function startPostgres(options: { fsync?: boolean } = {}): Promise<PgCluster> {
  const binDir = postgresBinDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'station-pg-'));
  const dataDir = path.join(dir, 'data');
  if (isRoot) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  const user = 'hq';
  run(binDir, 'initdb', ['-D', dataDir, '-U', user, '--auth=trust', '--no-locale', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const settings = [`-k ${dir}`, '-h 127.0.0.1', `-p ${port}`, `-c fsync=${options.fsync === false ? 'off' : 'on'}`, '-c max_connections=50'];
  run(binDir, 'pg_ctl', ['-D', dataDir, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', settings.join(' '), 'start']);
  const host = '127.0.0.1';
  const url = `postgres://${user}@${host}:${port}/postgres`;
  let stopped = false;
  return {
    url,
    host,
    port,
    user,
    binDir,
    async createDatabase(name = `hq_test_${process.pid}_${++databases}`) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return `postgres://${user}@${host}:${port}/${name}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        run(binDir, 'pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
