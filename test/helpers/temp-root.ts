import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Vitest global setup: every temporary folder of a run (`tempDir`) goes under one root, removed
 * when the run ends. A bench run makes gigabytes of databases; a test run thousands of folders.
 */
export default function setup(): () => void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'station-run-'));
  process.env.STATION_TEST_TMP = root;
  return () => fs.rmSync(root, { recursive: true, force: true });
}
