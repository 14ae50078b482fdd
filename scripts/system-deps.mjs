// The Debian packages Station's test suites, benchmarks and `npm start` use. Installs the missing
// ones when run as root on Debian (CI, a fresh machine); otherwise prints the exact command.
import { spawnSync } from 'node:child_process';

export const DEBIAN_PACKAGES = [
  'chromium', // the real browser for end-to-end tests and the kiosk window
  'fonts-noto-cjk', // Chinese text on screen and in screenshots
  'xvfb', // a real window without a display
  'socat', // pseudo-terminal pairs for serial devices
  'udev', // udevadm, used by serialport to list ports
  'libusb-1.0-0', // node-hid's runtime library
  'zbar-tools', // an independent barcode reader for printed labels
  'poppler-utils', // pdftotext, pdfinfo, pdftoppm: the box manifest PDF's tests read it back with them
  'postgresql', // HQ's second storage backend
  'sqlite3', // the sqlite3 shell, the roster benchmark's yardstick (.import)
];

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

if (process.platform !== 'linux' || spawnSync('dpkg-query', ['--version']).status !== 0) {
  console.log('system-deps: not a Debian system; make sure these are installed: ' + DEBIAN_PACKAGES.join(' '));
  process.exit(0);
}

const missing = DEBIAN_PACKAGES.filter((p) => !installed(p));
if (missing.length === 0) process.exit(0);

const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
if (typeof process.getuid === 'function' && process.getuid() === 0) {
  console.log(`system-deps: installing ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-q'], ['install', '-y', '-q', '--no-install-recommends', ...missing]]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) {
      console.error(`system-deps: "apt-get ${args.join(' ')}" failed`);
      process.exit(1);
    }
  }
} else {
  console.error(`system-deps: these Debian packages are missing: ${missing.join(' ')}\nRun as root:\n  sudo sh -c '${command}'`);
  process.exit(1);
}
