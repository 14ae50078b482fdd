// `npm start`: Electron when its binary is present; otherwise the kiosk host plus Chromium in app
// mode when Chromium is installed; otherwise the kiosk host and the address to open.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const passThrough = process.argv.slice(2);

function electronBinary() {
  try {
    const dir = path.join(root, 'node_modules', 'electron');
    const rel = fs.readFileSync(path.join(dir, 'path.txt'), 'utf8').trim();
    const exe = path.join(dir, 'dist', rel);
    return fs.existsSync(exe) ? exe : null;
  } catch {
    return null;
  }
}

function chromiumBinary() {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    const r = spawnSync('which', [name], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

const electron = electronBinary();
if (electron) {
  console.log('station: starting the desktop app (Electron)');
  const child = spawn(electron, [path.join(root, 'dist', 'electron', 'main', 'main.js'), ...passThrough], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  // The demo runs on simulated devices (training mode) unless told otherwise.
  const devices = passThrough.includes('--devices') ? [] : ['--devices', 'simulated'];
  const server = spawn(process.execPath, [path.join(root, 'bin', 'station.js'), 'serve', ...devices, ...passThrough], { stdio: ['ignore', 'pipe', 'inherit'] });
  let browser = null;
  const stop = () => {
    browser?.kill();
    server.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.on('exit', (code) => {
    browser?.kill();
    process.exit(code ?? 0);
  });
  let buffer = '';
  server.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    buffer += chunk.toString();
    const match = buffer.match(/listening on (http:\/\/\S+)/);
    const keyFile = buffer.match(/this launch's key is in (.+?) \(readable/);
    if (!match || !keyFile || browser) return;
    const url = match[1];
    const chromium = chromiumBinary();
    const hasDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
    if (chromium && hasDisplay) {
      const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'station-kiosk-'));
      console.log(`station: opening ${url} in Chromium (app mode)`);
      // The key goes to the browser in a file only this user reads (inside the private profile
      // folder), never on its command line, which every user of the machine can list.
      const token = fs.readFileSync(keyFile[1], 'utf8').trim();
      const open = path.join(profile, 'open.html');
      fs.writeFileSync(open, `<!doctype html><meta http-equiv="refresh" content="0;url=${url}launch?token=${token}">`, { mode: 0o600 });
      const args = [`--app=${pathToFileURL(open).href}`, `--user-data-dir=${profile}`, '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-features=Translate', '--start-maximized'];
      // Chromium refuses to start as root with its sandbox (kiosk images often run as root).
      if (process.getuid?.() === 0) args.push('--no-sandbox');
      browser = spawn(chromium, args, { stdio: 'ignore' });
      browser.on('exit', () => {
        browser = null;
        console.log(`station: the window was closed; Station keeps running at ${url} (Ctrl+C to stop)`);
      });
    } else {
      console.log(`station: open ${url}launch?token=KEY in a browser, KEY being the text in ${keyFile[1]} (Chromium was not found or there is no display)`);
    }
  });
}
