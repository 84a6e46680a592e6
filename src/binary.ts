// What a plugin binary says about itself, read from its bytes: the executable format (ELF, Mach-O, PE), the OS and
// CPU it was built for, whether it needs a dynamic loader, Go's build information (Go version, module, build
// settings) and the version string the generated code's `Version` variable holds. Nothing is executed.
import { readFileSync } from 'node:fs';

export interface Section {
  name: string;
  addr: bigint;
  offset: number;
  size: number;
}

export interface BuildInfo {
  goVersion: string;
  /** The main package's import path (`path` line). */
  path?: string;
  /** The main module (`mod` line). */
  module?: string;
  /** `build` lines: -trimpath, CGO_ENABLED, GOOS, GOARCH, -ldflags (left out by Go under -trimpath), … */
  settings: Record<string, string>;
}

export interface BinaryInfo {
  format: 'elf' | 'macho' | 'pe' | 'unknown';
  /** GOOS-style names, from Go's build information when present, else from the header. */
  os?: string;
  arch?: string;
  /** The dynamic loader an ELF binary asks for (PT_INTERP); undefined when statically linked. */
  interpreter?: string;
  /** True when the binary cannot run without a dynamic loader and shared libraries. */
  dynamic: boolean;
  buildInfo?: BuildInfo;
  /** Version-looking strings (v1.2.3…) held by string variables in the binary's data, in file order. */
  versionStrings: string[];
}

const ELF_MACHINE: Record<number, string> = { 0x03: '386', 0x08: 'mips', 0x14: 'ppc', 0x15: 'ppc64', 0x16: 's390x', 0x28: 'arm', 0x3e: 'amd64', 0xb7: 'arm64', 0xf3: 'riscv64', 0x102: 'loong64' };
const MACHO_CPU: Record<number, string> = { 0x7: '386', 0x01000007: 'amd64', 0xc: 'arm', 0x0100000c: 'arm64' };
const PE_MACHINE: Record<number, string> = { 0x14c: '386', 0x8664: 'amd64', 0x1c4: 'arm', 0xaa64: 'arm64' };
const ELF_OSABI: Record<number, string> = { 9: 'freebsd', 12: 'openbsd', 2: 'netbsd' };

class Reader {
  constructor(
    readonly buf: Buffer,
    readonly little: boolean,
  ) {}
  u16(at: number): number {
    return this.little ? this.buf.readUInt16LE(at) : this.buf.readUInt16BE(at);
  }
  u32(at: number): number {
    return this.little ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
  }
  u64(at: number): bigint {
    return this.little ? this.buf.readBigUInt64LE(at) : this.buf.readBigUInt64BE(at);
  }
  word(at: number, size: number): bigint {
    return size === 8 ? this.u64(at) : BigInt(this.u32(at));
  }
}

interface Layout {
  format: BinaryInfo['format'];
  os?: string;
  arch?: string;
  interpreter?: string;
  dynamic: boolean;
  ptrSize: number;
  little: boolean;
  sections: Section[];
}

function cString(buf: Buffer, at: number, max = 256): string {
  const end = buf.indexOf(0, at);
  return buf.toString('latin1', at, end < 0 || end > at + max ? at + max : end);
}

function elf(buf: Buffer): Layout {
  const is64 = buf[4] === 2;
  const r = new Reader(buf, buf[5] !== 2);
  const w = is64 ? 8 : 4;
  const phoff = Number(r.word(is64 ? 32 : 28, w));
  const shoff = Number(r.word(is64 ? 40 : 32, w));
  const phentsize = r.u16(is64 ? 54 : 42);
  const phnum = r.u16(is64 ? 56 : 44);
  const shentsize = r.u16(is64 ? 58 : 46);
  const shnum = r.u16(is64 ? 60 : 48);
  const shstrndx = r.u16(is64 ? 62 : 50);
  let interpreter: string | undefined;
  let dynamic = false;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + phentsize > buf.length) break;
    const type = r.u32(ph);
    if (type === 2) dynamic = true; // PT_DYNAMIC
    if (type === 3) {
      // PT_INTERP
      const offset = Number(r.word(ph + (is64 ? 8 : 4), w));
      interpreter = cString(buf, offset);
    }
  }
  const sections: Section[] = [];
  if (shoff > 0 && shoff + shnum * shentsize <= buf.length && shstrndx < shnum) {
    const strtab = Number(r.word(shoff + shstrndx * shentsize + (is64 ? 24 : 16), w));
    for (let i = 0; i < shnum; i++) {
      const sh = shoff + i * shentsize;
      if (r.u32(sh + 4) === 8) continue; // SHT_NOBITS (.bss) has no bytes in the file
      sections.push({
        name: cString(buf, strtab + r.u32(sh)),
        addr: r.word(sh + (is64 ? 16 : 12), w),
        offset: Number(r.word(sh + (is64 ? 24 : 16), w)),
        size: Number(r.word(sh + (is64 ? 32 : 20), w)),
      });
    }
  }
  return {
    format: 'elf',
    os: ELF_OSABI[buf[7]!] ?? 'linux',
    arch: ELF_MACHINE[r.u16(18)],
    interpreter,
    dynamic: dynamic || interpreter !== undefined,
    ptrSize: w,
    little: r.little,
    sections,
  };
}

function macho(buf: Buffer): Layout {
  const r = new Reader(buf, true);
  const is64 = r.u32(0) === 0xfeedfacf;
  const ncmds = r.u32(16);
  let at = is64 ? 32 : 28;
  const sections: Section[] = [];
  let dynamic = false;
  for (let i = 0; i < ncmds && at + 8 <= buf.length; i++) {
    const cmd = r.u32(at);
    const size = r.u32(at + 4);
    if (cmd === 0x0e) dynamic = true; // LC_LOAD_DYLINKER
    if (cmd === 0x19) {
      // LC_SEGMENT_64
      const nsects = r.u32(at + 64);
      for (let s = 0; s < nsects; s++) {
        const sec = at + 72 + s * 80;
        sections.push({ name: cString(buf, sec, 16), addr: r.u64(sec + 32), offset: r.u32(sec + 48), size: Number(r.u64(sec + 40)) });
      }
    }
    if (size === 0) break;
    at += size;
  }
  return { format: 'macho', os: 'darwin', arch: MACHO_CPU[r.u32(4)], dynamic, ptrSize: is64 ? 8 : 4, little: true, sections };
}

function pe(buf: Buffer): Layout {
  const r = new Reader(buf, true);
  const header = r.u32(0x3c);
  const machine = r.u16(header + 4);
  const nsections = r.u16(header + 6);
  const optSize = r.u16(header + 20);
  const opt = header + 24;
  const plus = r.u16(opt) === 0x20b;
  const imageBase = plus ? r.u64(opt + 24) : BigInt(r.u32(opt + 28));
  const sections: Section[] = [];
  for (let i = 0; i < nsections; i++) {
    const sec = opt + optSize + i * 40;
    if (sec + 40 > buf.length) break;
    sections.push({
      name: cString(buf, sec, 8),
      addr: imageBase + BigInt(r.u32(sec + 12)),
      offset: r.u32(sec + 20),
      size: Math.min(r.u32(sec + 8), r.u32(sec + 16)),
    });
  }
  // Windows programs always load system DLLs; that is not the portability question it is on Linux.
  return { format: 'pe', os: 'windows', arch: PE_MACHINE[machine], dynamic: false, ptrSize: plus ? 8 : 4, little: true, sections };
}

function layout(buf: Buffer): Layout {
  if (buf.length >= 64 && buf.readUInt32BE(0) === 0x7f454c46) return elf(buf);
  if (buf.length >= 32 && (buf.readUInt32LE(0) === 0xfeedfacf || buf.readUInt32LE(0) === 0xfeedface)) return macho(buf);
  if (buf.length >= 0x40 && buf.toString('latin1', 0, 2) === 'MZ') {
    const header = buf.readUInt32LE(0x3c);
    if (header + 24 < buf.length && buf.toString('latin1', header, header + 4) === 'PE\0\0') return pe(buf);
  }
  return { format: 'unknown', dynamic: false, ptrSize: 8, little: true, sections: [] };
}

const BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

function uvarint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (let i = at; i < buf.length && shift < 35; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, i + 1];
    shift += 7;
  }
  return [-1, at];
}

/** Go's build information (as `go version -m` prints it), for binaries built by Go 1.18 or later. */
export function parseBuildInfo(buf: Buffer): BuildInfo | undefined {
  const at = buf.indexOf(BUILDINFO_MAGIC);
  if (at < 0 || at + 32 > buf.length) return undefined;
  // Go 1.18 and later store the two strings inline after the 32-byte header (flag bit 2); older ones store pointers.
  if ((buf[at + 15]! & 2) === 0) return undefined;
  const [vlen, vstart] = uvarint(buf, at + 32);
  if (vlen < 0) return undefined;
  const goVersion = buf.toString('utf8', vstart, vstart + vlen);
  const [mlen, mstart] = uvarint(buf, vstart + vlen);
  let modinfo = mlen > 0 ? buf.toString('utf8', mstart, mstart + mlen) : '';
  // The module information is framed by 16-byte sentinels.
  if (modinfo.length >= 33 && modinfo[modinfo.length - 17] === '\n') modinfo = modinfo.slice(16, -16);
  const info: BuildInfo = { goVersion, settings: {} };
  for (const line of modinfo.split('\n')) {
    const [kind, first, second] = line.split('\t');
    if (kind === 'path') info.path = first;
    else if (kind === 'mod') info.module = first;
    else if (kind === 'build' && first) {
      const eq = first.indexOf('=');
      if (eq > 0) info.settings[first.slice(0, eq)] = first.slice(eq + 1);
    }
    void second;
  }
  return info;
}

const VERSION_STRING = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const DATA_SECTIONS = new Set(['.data', '.noptrdata', '__data', '__noptrdata']);

/**
 * Version strings held by string variables: a Go string variable is a (pointer, length) pair in a data section whose
 * pointer lands in the file's bytes. `-X module.Version=v1.2.3` sets such a pair, and so does the default in the
 * source; constants never make one. Position-independent ELF binaries keep these pointers in relocations, so they
 * yield nothing here.
 */
function versionStrings(buf: Buffer, l: Layout): string[] {
  const r = new Reader(buf, l.little);
  const mapped = l.sections.filter((s) => s.offset > 0 && s.size > 0 && s.addr > 0n);
  const toOffset = (addr: bigint, len: number): number | undefined => {
    for (const s of mapped) {
      if (addr >= s.addr && addr + BigInt(len) <= s.addr + BigInt(s.size)) return s.offset + Number(addr - s.addr);
    }
    return undefined;
  };
  const found = new Set<string>();
  for (const section of l.sections) {
    if (!DATA_SECTIONS.has(section.name)) continue;
    const end = Math.min(section.offset + section.size, buf.length) - 2 * l.ptrSize;
    for (let at = section.offset; at <= end; at += l.ptrSize) {
      const len = Number(r.word(at + l.ptrSize, l.ptrSize));
      if (len < 6 || len > 64) continue;
      const ptr = r.word(at, l.ptrSize);
      if (ptr === 0n) continue;
      const offset = toOffset(ptr, len);
      if (offset === undefined || buf[offset] !== 0x76 /* v */) continue;
      const text = buf.toString('latin1', offset, offset + len);
      if (VERSION_STRING.test(text)) found.add(text);
    }
  }
  return [...found];
}

export function inspectBinaryBytes(buf: Buffer): BinaryInfo {
  const l = layout(buf);
  const buildInfo = parseBuildInfo(buf);
  return {
    format: l.format,
    os: buildInfo?.settings.GOOS ?? l.os,
    arch: buildInfo?.settings.GOARCH ?? l.arch,
    interpreter: l.interpreter,
    dynamic: l.dynamic,
    buildInfo,
    versionStrings: l.format === 'unknown' ? [] : versionStrings(buf, l),
  };
}

export function inspectBinary(path: string): BinaryInfo {
  return inspectBinaryBytes(readFileSync(path));
}
