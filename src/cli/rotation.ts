/**
 * -w with tcpdump's file rotation: -C (a new file once the current one passes
 * N million bytes), -G (a new file every N seconds, the name passed through
 * strftime) and -W (how many files: with -C the names cycle, with -G alone
 * the capture stops after that many).
 */
import { createCaptureWriter, type CaptureWriter, type WriteOptions } from '../pcap/index.js';
import type { PacketRecord } from '../pcap/record.js';

export interface RotationOptions {
  /** -C: megabytes (1,000,000 bytes) per file. */
  fileSize?: number;
  /** -G: seconds per file. */
  seconds?: number;
  /** -W: number of files. */
  fileCount?: number;
  /** A clock, for tests; default Date.now. */
  now?: () => number;
}

/**
 * tcpdump's file names: the -w name through strftime (with -G), then the
 * file number appended when rotating by size (zero-padded to -W's width).
 *
 * @example
 * rotatedName('out.pcap', 2, { fileSize: 1 }, new Date()) // 'out.pcap2'
 */
export function rotatedName(base: string, index: number, o: RotationOptions, when: Date): string {
  const name = o.seconds ? strftime(base, when) : base;
  if (!o.fileSize) return name;
  if (o.fileCount) return name + String(index).padStart(String(o.fileCount - 1).length, '0');
  return index === 0 ? name : name + String(index);
}

/**
 * The strftime conversions people put in -G file names.
 *
 * @example
 * strftime('dump-%Y%m%d-%H%M%S.pcap', new Date(0)) // 'dump-19700101-000000.pcap' (in UTC)
 */
export function strftime(pattern: string, d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return pattern.replace(/%([YmdHMSsjyF%T])/g, (_, c: string) => {
    switch (c) {
      case 'Y': return String(d.getFullYear());
      case 'y': return p(d.getFullYear() % 100);
      case 'm': return p(d.getMonth() + 1);
      case 'd': return p(d.getDate());
      case 'H': return p(d.getHours());
      case 'M': return p(d.getMinutes());
      case 'S': return p(d.getSeconds());
      case 's': return String(Math.floor(d.getTime() / 1000));
      case 'j': return p(Math.floor((d.getTime() - new Date(d.getFullYear(), 0, 1).getTime()) / 86400000) + 1, 3);
      case 'F': return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
      case 'T': return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
      default: return '%';
    }
  });
}

/**
 * A capture writer that moves to a new file as -C/-G/-W say. `write`
 * returns false once -G/-W's last file is full (the capture should stop).
 *
 * @example
 * const w = new RotatingWriter('out.pcap', { linkType: 1 }, { fileSize: 1 });
 * for (const r of records) await w.write(r);
 * await w.close();
 */
export class RotatingWriter {
  private writer: CaptureWriter | undefined;
  private index = 0;
  private bytes = 0;
  private opened = 0;
  private readonly now: () => number;
  /** -G with -W: the last file is done and the run is over. */
  private full = false;
  /** Packets written, across files. */
  written = 0;
  /** Every file name opened, in order. */
  readonly files: string[] = [];

  constructor(private readonly base: string, private readonly writeOptions: WriteOptions, private readonly o: RotationOptions) {
    this.now = o.now ?? Date.now;
  }

  private open(): void {
    const name = rotatedName(this.base, this.index, this.o, new Date(this.now()));
    this.writer = createCaptureWriter(name, this.writeOptions);
    this.files.push(name);
    this.opened = this.now();
    this.bytes = 24;
  }

  /** Writes one packet, rotating first when due; false when rotation says to stop. */
  async write(record: PacketRecord): Promise<boolean> {
    if (this.full) return false;
    if (!this.writer) this.open();
    const sizeDue = this.o.fileSize !== undefined && this.bytes > this.o.fileSize * 1_000_000;
    const timeDue = this.o.seconds !== undefined && this.now() - this.opened >= this.o.seconds * 1000;
    if (sizeDue || timeDue) {
      await this.writer!.close();
      this.index++;
      if (this.o.fileCount !== undefined) {
        if (this.o.fileSize === undefined && this.index >= this.o.fileCount) { this.writer = undefined; this.full = true; return false; }
        this.index %= this.o.fileCount;
      }
      this.open();
    }
    const pending = this.writer!.write(record);
    if (pending) await pending;
    this.bytes += 16 + record.caplen;
    this.written++;
    return true;
  }

  /** Hands buffered packets to the file (for -U). */
  async flush(): Promise<void> {
    await this.writer?.flush();
  }

  async close(): Promise<void> {
    if (this.full) return;
    if (!this.writer) this.open();
    await this.writer!.close();
  }
}
