// One member of a tar archive as the writer takes it.

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'blockdev' | 'fifo';

export type TarSource = { file: string } | { content: Uint8Array | string };

export interface TarEntry {
  /** Relative member name; "./" and trailing "/" are dropped, "/"-prefixed or ".." names are rejected. */
  path: string;
  type: TarEntryType;
  /** Permission bits (masked to 0o7777). */
  mode: number;
  /** Defaults: uid 0, gid 0, empty names, mtime from the writer options. */
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** Seconds since the epoch. */
  mtime?: number;
  /** Contents of a 'file' entry; none means empty. Files are streamed, never read whole. */
  source?: TarSource;
  /** Target of a symlink (any string) or hardlink (an earlier member's path). */
  linkname?: string;
  /** Device numbers for 'chardev' / 'blockdev' (only produced when merging tars). */
  devmajor?: number;
  devminor?: number;
}

/** Where to take a whole existing archive from, re-emitting its members (pkg_tar `deps`). */
export interface TarMergeSource {
  /** A .tar, .tar.gz/.tgz or .tar.zst file (compression is sniffed from its first bytes). */
  path: string;
  /** Directory to place the members under (pkg_tar's package_dir). */
  prefix?: string;
}
