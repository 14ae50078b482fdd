import { createCipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { LedgerHandle } from './read';

const CIPHER = 'aes-256-ctr';
const KEY_BYTES = 32;
const BLOCK_BYTES = 16;

/**
 * A ledger uploaded from the screen, sealed as it arrives: the names, ID numbers and phones of a
 * whole district are never on disk in the clear, neither for the minutes a large ledger takes to
 * read nor while it waits for the admin to map its headers. Each upload has its own random
 * 256-bit key, held only in memory: a stop loses it, the file left behind is noise for good, and
 * the next start removes it.
 *
 * AES-256-CTR, because the readers need any position (the CSV reader sniffs at 0 and reads on,
 * the XLSX reader reads the ZIP's directory at the end first): the keystream of byte n starts at
 * counter block n / 16, so any range opens on its own, and a chunk sealed again at the same place
 * (an upload call sent twice) gives the same bytes. A fresh key per upload is never reused, so the
 * counter starts at zero. CTR does not authenticate: someone who can write the data folder can
 * change the ledger read, as they could change the plain file before; the admin still sees every
 * row checked and the diff before applying.
 * Written here because no library offers a file that decrypts at any position behind a
 * `FileHandle`'s shape; the cipher itself is Node's (OpenSSL).
 */
export class SealedLedger {
  private readonly key = randomBytes(KEY_BYTES);

  private constructor(readonly file: string) {}

  /** A new, empty upload at `file` (which must not exist), readable by this user only. */
  static create(file: string): SealedLedger {
    fs.writeFileSync(file, Buffer.alloc(0), { mode: 0o600, flag: 'wx' });
    return new SealedLedger(file);
  }

  /** Seals `data` and writes it at `offset` of the ledger. */
  write(offset: number, data: Buffer): void {
    const sealed = this.crypt(offset, data);
    const fd = fs.openSync(this.file, 'r+');
    try {
      let written = 0;
      while (written < sealed.length) written += fs.writeSync(fd, sealed, written, sealed.length - written, offset + written);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The ledger's size (the sealed file is as long as the ledger). */
  size(): number {
    return fs.statSync(this.file).size;
  }

  /** The ledger as the readers open a file, decrypted as it is read. */
  async open(): Promise<LedgerHandle> {
    return new SealedHandle(await fs.promises.open(this.file, 'r'), (position, bytes) => this.crypt(position, bytes));
  }

  /** Done with: the file goes, and the key is wiped. */
  remove(): void {
    fs.rmSync(this.file, { force: true });
    this.key.fill(0);
  }

  /** CTR is its own inverse: the same keystream seals and opens. */
  private crypt(position: number, bytes: Buffer): Buffer {
    const counter = Buffer.alloc(BLOCK_BYTES);
    counter.writeUIntBE(Math.floor(position / BLOCK_BYTES), BLOCK_BYTES - 6, 6);
    const cipher = createCipheriv(CIPHER, this.key, counter);
    const skip = position % BLOCK_BYTES;
    if (skip > 0) cipher.update(Buffer.alloc(skip));
    return cipher.update(bytes);
  }
}

class SealedHandle implements LedgerHandle {
  /** Where a read at `null` starts: where the last one ended, as a file's own position. */
  private position = 0;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly handle: FileHandle,
    private readonly crypt: (position: number, bytes: Buffer) => Buffer,
  ) {}

  async read(buffer: Buffer, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }> {
    const at = position ?? this.position;
    const { bytesRead } = await this.handle.read(buffer, offset, length, at);
    if (position === null) this.position = at + bytesRead;
    const sealed = buffer.subarray(offset, offset + bytesRead);
    this.crypt(at, sealed).copy(sealed);
    return { bytesRead };
  }

  stat(): Promise<{ size: number }> {
    return this.handle.stat();
  }

  close(): Promise<void> {
    this.closing ??= this.handle.close();
    return this.closing;
  }
}
