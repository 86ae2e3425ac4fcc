// Tar header blocks in GNU format, laid out exactly as Python's tarfile writes them with
// format=GNU_FORMAT (CPython 3.9+ Lib/tarfile.py: _create_header, create_gnu_header,
// _create_gnu_long_header, itn, stn). rules_pkg's build_tar.py writes pkg_tar output through
// that code, so matching it keeps our layers byte-identical to a Bazel-built pkg_tar for the same
// members. Long names and link targets use GNU "././@LongLink" records, never PAX headers.

export const BLOCK = 512;
/** tarfile pads the finished archive to a multiple of this (20 blocks). */
export const RECORD = BLOCK * 20;

const TYPEFLAG = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  chardev: '3',
  blockdev: '4',
  dir: '5',
  fifo: '6',
} as const;

export type HeaderType = keyof typeof TYPEFLAG;

export interface HeaderFields {
  /** Full member name; directories are written with a trailing "/" (tarfile's get_info does so). */
  name: string;
  type: HeaderType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

const GNU_MAGIC = Buffer.from('ustar  \0', 'latin1');
const LONGLINK_NAME = '././@LongLink';

/** tarfile.stn: encode, truncate to `length`, NUL-pad. */
function stn(value: string | Buffer, length: number): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const out = Buffer.alloc(length);
  bytes.copy(out, 0, 0, Math.min(bytes.length, length));
  return out;
}

/** tarfile.itn: octal with a trailing NUL, or GNU base-256 when it does not fit. */
function itn(value: number, digits: number, gnu: boolean): Buffer {
  const n = Math.trunc(value);
  if (n >= 0 && n < 8 ** (digits - 1)) {
    return Buffer.from(n.toString(8).padStart(digits - 1, '0') + '\0', 'latin1');
  }
  const limit = 256n ** BigInt(digits - 1);
  let big = BigInt(n);
  if (!gnu || big < -limit || big >= limit) {
    throw new Error(`tar: value ${value} does not fit in a ${digits}-byte header field`);
  }
  const out = Buffer.alloc(digits);
  if (big >= 0n) {
    out[0] = 0o200;
  } else {
    out[0] = 0o377;
    big = 256n ** BigInt(digits) + big;
  }
  for (let i = digits - 1; i >= 1; i--) {
    out[i] = Number(big & 0xffn);
    big >>= 8n;
  }
  return out;
}

function rawHeader(
  f: {
    name: Buffer;
    typeflag: string;
    mode: number;
    uid: number;
    gid: number;
    size: number;
    mtime: number;
    linkname: Buffer;
    uname: string;
    gname: string;
    devices?: { major: number; minor: number };
  },
  gnu: boolean,
): Buffer {
  const parts = [
    stn(f.name, 100),
    itn(f.mode & 0o7777, 8, gnu),
    itn(f.uid, 8, gnu),
    itn(f.gid, 8, gnu),
    itn(f.size, 12, gnu),
    itn(f.mtime, 12, gnu),
    Buffer.from('        ', 'latin1'), // checksum placeholder
    Buffer.from(f.typeflag, 'latin1'),
    stn(f.linkname, 100),
    GNU_MAGIC,
    stn(f.uname, 32),
    stn(f.gname, 32),
    f.devices ? itn(f.devices.major, 8, gnu) : Buffer.alloc(8),
    f.devices ? itn(f.devices.minor, 8, gnu) : Buffer.alloc(8),
    Buffer.alloc(155), // prefix: unused in GNU format
  ];
  const buf = Buffer.alloc(BLOCK);
  Buffer.concat(parts).copy(buf);
  // tarfile.calc_chksums: unsigned sum with the checksum field counted as spaces.
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : buf[i];
  // "%06o\0" followed by the placeholder's remaining space.
  buf.write(sum.toString(8).padStart(6, '0') + '\0', 148, 'latin1');
  return buf;
}

function padBlock(data: Buffer): Buffer {
  const rem = data.length % BLOCK;
  return rem === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rem)]);
}

function longLink(value: Buffer, typeflag: 'K' | 'L'): Buffer {
  const payload = Buffer.concat([value, Buffer.from([0])]);
  const header = rawHeader(
    {
      name: Buffer.from(LONGLINK_NAME, 'latin1'),
      typeflag,
      mode: 0,
      uid: 0,
      gid: 0,
      size: payload.length,
      mtime: 0,
      linkname: Buffer.alloc(0),
      uname: '',
      gname: '',
    },
    false,
  );
  return Buffer.concat([header, padBlock(payload)]);
}

/** All header blocks for one member (GNU long-name records first, when needed). */
export function encodeHeader(h: HeaderFields): Buffer {
  const name = Buffer.from(h.type === 'dir' && !h.name.endsWith('/') ? h.name + '/' : h.name, 'utf8');
  const linkname = Buffer.from(h.linkname, 'utf8');
  const blocks: Buffer[] = [];
  if (linkname.length > 100) blocks.push(longLink(linkname, 'K'));
  if (name.length > 100) blocks.push(longLink(name, 'L'));
  const devices = h.type === 'chardev' || h.type === 'blockdev' ? { major: h.devmajor, minor: h.devminor } : undefined;
  blocks.push(
    rawHeader(
      {
        name,
        typeflag: TYPEFLAG[h.type],
        mode: h.mode,
        uid: h.uid,
        gid: h.gid,
        size: h.size,
        mtime: h.mtime,
        linkname,
        uname: h.uname,
        gname: h.gname,
        devices,
      },
      true,
    ),
  );
  return Buffer.concat(blocks);
}

/** Zero bytes that pad `size` bytes of member data to a block boundary. */
export function dataPadding(size: number): Buffer {
  const rem = size % BLOCK;
  return Buffer.alloc(rem === 0 ? 0 : BLOCK - rem);
}

/** End-of-archive: two zero blocks, then zeros up to the next record boundary (as tarfile.close). */
export function archiveTrailer(offset: number): Buffer {
  const end = offset + 2 * BLOCK;
  const rem = end % RECORD;
  return Buffer.alloc(2 * BLOCK + (rem === 0 ? 0 : RECORD - rem));
}
