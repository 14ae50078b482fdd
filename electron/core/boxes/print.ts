import { spawn } from 'node:child_process';
import { DomainError } from '../errors';
import { createLogger } from '../log';

const log = createLogger('boxes');

export type PrintPdfOptions = {
  /** The queue to print on; null: the print system's default queue. */
  queue: string | null;
  /** What the queue lists the job as (the manifest's title). */
  title: string;
  /** The command (CUPS `lp`, found on PATH); a test names its own. */
  command?: string;
  platform?: NodeJS.Platform;
  /** How long the print system may take to take the job. */
  timeoutMs?: number;
};

export type PrintPdfResult = { queue: string | null; requestId: string | null };

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Sends a PDF to the OS print queue: CUPS `lp` (Linux, macOS) with the document on stdin, A4,
 * on `queue` or the system's default. CUPS converts PDF for any printer it drives. A refusal
 * is a DomainError staff can act on: no print system, no default queue, no such queue, the
 * queue refusing (stopped, not accepting jobs, the scheduler down). lp runs with the C locale
 * so its messages are the ones recognised here, whatever language the desktop speaks.
 *
 * Windows has no `lp`: printing a PDF there needs a PDF renderer and the spooler (e.g.
 * SumatraPDF's `-print-to`, or the shell's "printto" verb of the installed PDF viewer), which
 * cannot be built and tested on the Linux build machines; it is refused with
 * `box.printNotSupported` and the screen offers Save instead.
 */
export function printPdf(pdf: Uint8Array, options: PrintPdfOptions): Promise<PrintPdfResult> {
  const platform = options.platform ?? process.platform;
  if (platform === 'win32') return Promise.reject(new DomainError('box.printNotSupported', { platform }));
  const command = options.command ?? 'lp';
  const queue = options.queue;
  const args = [...(queue ? ['-d', queue] : []), '-t', options.title, '-o', 'media=A4'];
  return new Promise<PrintPdfResult>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(new DomainError('box.printRefused', { queue: queue ?? '', detail: 'the print system did not answer' })));
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      stdout = (stdout + text).slice(-500);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(-500);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      log.warn({ code: err.code }, 'print command could not start');
      finish(() =>
        reject(err.code === 'ENOENT' || err.code === 'EACCES' ? new DomainError('box.printSystemMissing') : new DomainError('box.printRefused', { queue: queue ?? '', detail: err.message.slice(0, 200) })),
      );
    });
    child.on('close', (code) => {
      finish(() => {
        if (code === 0) return resolve({ queue, requestId: /request id is (\S+)/i.exec(stdout)?.[1] ?? null });
        const detail = stderr.trim().split('\n').pop()?.slice(0, 200) ?? '';
        log.warn({ exit: code, queue: queue ?? 'default' }, 'print queue refused the manifest');
        if (/no default destination/i.test(stderr)) return reject(new DomainError('box.printNoDefaultQueue'));
        if (queue && /does not exist|unknown destination|not found|no such/i.test(stderr)) return reject(new DomainError('box.printQueueUnknown', { queue }));
        reject(new DomainError('box.printRefused', { queue: queue ?? '', detail: detail || `exit ${code ?? 'signal'}` }));
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(Buffer.from(pdf));
  });
}
