import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on loopback that keeps every message it receives, for tests that read mail. */
export interface Inbox {
  url: string;
  messages: Array<{ to: string[]; raw: string }>;
  /** The decoded text of the first message to `address` received after index `from`; waits up to 20 s. */
  mailFor(address: string, from: number): Promise<string>;
  close(): Promise<void>;
}

/** The decoded text of a message (nodemailer sends UTF-8 bodies quoted-printable or base64). */
export function bodyText(raw: string): string {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const body = rest.join('\n\n');
  if (/content-transfer-encoding:\s*base64/i.test(head!)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (/content-transfer-encoding:\s*quoted-printable/i.test(head!)) {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

export async function startInbox(): Promise<Inbox> {
  const messages: Inbox['messages'] = [];
  const smtp = new SMTPServer({
    hideSTARTTLS: true,
    authOptional: true,
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  const port = (smtp.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    async mailFor(address, from) {
      const end = Date.now() + 20_000;
      for (;;) {
        const m = messages.slice(from).find((x) => x.to.includes(address));
        if (m) return bodyText(m.raw);
        if (Date.now() > end) throw new Error(`no mail for ${address}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () => new Promise<void>((r) => smtp.close(() => r())),
  };
}
