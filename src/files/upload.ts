/**
 * Upload objects and file handles: the only ways a storage key moves between the HTTP layer,
 * the actions and the file store. Neither can come out of JSON, form or query input (they are
 * class instances registered when the store creates them), and neither serialises its key.
 */

/** What an upload needs from its store; kept narrow so this module has no file-system code. */
interface UploadOwner {
  discard(key: string): Promise<void>;
  /** The bytes of a pending (temporary) upload, for actions that read a file without keeping it. */
  readPending(key: string, maxBytes: number): Promise<Buffer>;
}

const minted = new WeakSet<object>();
const keys = new WeakMap<object, string>();

/** A file the current request streamed into the store: temporary until a committed row refers to it. */
export class Upload {
  readonly filename: string;
  /** Measured by the store while the bytes arrived: the only size and hash a resource shows. */
  readonly size: number;
  readonly sha256: string;
  #owner: UploadOwner;
  #state: 'pending' | 'claimed' | 'discarded' = 'pending';

  private constructor(owner: UploadOwner, key: string, size: number, sha256: string, filename: string) {
    this.#owner = owner;
    this.size = size;
    this.sha256 = sha256;
    this.filename = filename;
    keys.set(this, key);
    minted.add(this);
  }

  /** Called by a file store only, when it has written the bytes. */
  static mint(owner: UploadOwner, key: string, size: number, sha256: string, filename: string): Upload {
    return new Upload(owner, key, size, sha256, filename);
  }

  get claimed(): boolean {
    return this.#state === 'claimed';
  }

  /** Removes the temporary file unless an action has taken it (then its transaction decides). */
  async discard(): Promise<void> {
    if (this.#state !== 'pending') return;
    this.#state = 'discarded';
    await this.#owner.discard(keys.get(this)!);
  }

  /** Single use: the first action that attaches the upload gets its key; a second gets an error. */
  claim(): string {
    if (this.#state !== 'pending') throw new Error('Upload already used');
    this.#state = 'claimed';
    return keys.get(this)!;
  }

  /**
   * The uploaded bytes, for an action that reads a file and keeps none of it (an Excel template):
   * the upload stays pending and the request's end discards it.
   */
  async bytes(maxBytes: number): Promise<Buffer> {
    if (this.#state !== 'pending') throw new Error('Upload already used');
    if (this.size > maxBytes) throw new Error('Upload larger than the limit');
    return this.#owner.readPending(keys.get(this)!, maxBytes);
  }

  toJSON(): Record<string, unknown> {
    return { filename: this.filename, size: this.size, sha256: this.sha256 };
  }
}

/** True only for an upload a file store created in this process: a look-alike object is not one. */
export function isUpload(v: unknown): v is Upload {
  return v instanceof Upload && minted.has(v) && !v.claimed;
}

/** Discards the uploads of a request that no action took (validation failed, wrong action, 403). */
export async function discardUploads(uploads: Iterable<Upload>): Promise<void> {
  for (const u of uploads) {
    try {
      await u.discard();
    } catch {
      /* the start-up sweep removes what is left */
    }
  }
}

/**
 * An opaque handle on a stored file, handed from the download action to the route that serves it.
 * It serialises to nothing useful: a storage key is never part of an action's answer.
 */
export class FileRef {
  private constructor(key: string) {
    keys.set(this, key);
    minted.add(this);
  }
  static of(key: string): FileRef {
    return new FileRef(key);
  }
  toJSON(): string {
    return '[file]';
  }
}

/** The store's side of a handle. */
export function refKey(ref: FileRef): string {
  if (!(ref instanceof FileRef) || !minted.has(ref)) throw new Error('Not a file handle');
  return keys.get(ref)!;
}
