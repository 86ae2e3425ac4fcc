// The pull-request preview comment: one comment per pull request, found again by a hidden
// marker and edited in place on every push, listing the images built for the head commit.

import { GitHubApiError, apiPath, type GitHubApi } from './api.ts';

export const PREVIEW_MARKER = '<!-- oci-build-action:preview -->';

/** GitHub refuses comment bodies longer than this. */
const MAX_BODY = 65_536;

export interface IssueComment {
  id: number;
  body?: string | null;
  html_url?: string;
  user?: { login: string; type?: string } | null;
}

export interface UpsertPreviewCommentOptions {
  owner: string;
  repo: string;
  pullNumber: number;
  /** Hidden marker identifying the comment. Default `<!-- oci-build-action:preview -->`. */
  marker?: string;
  body: string;
  /** Who the token acts as; only this author's marked comment is edited. Default: asked with `tokenIdentity`. */
  author?: CommentAuthor;
}

/** A comment author as the API shows it: `login`, and `type` ("Bot", "User") when it matters. */
export interface CommentAuthor {
  login: string;
  type?: string;
}

/** The identity GITHUB_TOKEN acts as (an installation token of the GitHub Actions app). */
export const GITHUB_ACTIONS_BOT: CommentAuthor = { login: 'github-actions[bot]', type: 'Bot' };

/**
 * Who the token acts as: GET /user answers a user token (a PAT) with its login; an installation
 * token (GITHUB_TOKEN) may not read /user (403 "Resource not accessible by integration") and acts
 * as github-actions[bot]. Any other failure is thrown: without knowing who we are, no comment
 * is edited.
 */
export async function tokenIdentity(api: GitHubApi): Promise<CommentAuthor> {
  let user: { login?: unknown; type?: unknown } | undefined;
  try {
    user = await api.get<{ login?: unknown; type?: unknown }>('/user');
  } catch (err) {
    if (err instanceof GitHubApiError && err.status === 403) return GITHUB_ACTIONS_BOT;
    throw err;
  }
  if (typeof user?.login !== 'string' || user.login === '') throw new Error('GitHub API GET /user: the answer has no login');
  return { login: user.login, type: typeof user.type === 'string' ? user.type : 'User' };
}

/** Whether `c` was written by `author` (logins compare case-insensitively, as on GitHub). */
function writtenBy(c: IssueComment, author: CommentAuthor): boolean {
  const user = c.user;
  if (user === null || user === undefined || typeof user.login !== 'string') return false;
  if (user.login.toLowerCase() !== author.login.toLowerCase()) return false;
  return author.type === undefined || user.type === author.type;
}

export interface PreviewImage {
  /** `registry/repo:tag` */
  reference: string;
  digest: string;
  platforms: string[];
}

export interface PreviewCommentBodyOptions {
  images: PreviewImage[];
  commitSha: string;
  /** Link to the workflow run. */
  runUrl?: string;
  /** Default `<!-- oci-build-action:preview -->`. */
  marker?: string;
}

/**
 * Our comment: the first one by `author` carrying the marker, preferring one that starts with
 * it. Anyone can write the marker into a comment, so a comment by anyone else is never ours.
 * The author is only looked up (`author()`) when some comment carries the marker.
 */
async function findMarked(
  api: GitHubApi,
  owner: string,
  repo: string,
  pullNumber: number,
  marker: string,
  author: () => Promise<CommentAuthor>,
): Promise<IssueComment | undefined> {
  const starting: IssueComment[] = [];
  const containing: IssueComment[] = [];
  for await (const page of api.pages<IssueComment>(apiPath`/repos/${owner}/${repo}/issues/${pullNumber}/comments`)) {
    for (const c of page) {
      const body = typeof c?.body === 'string' ? c.body : '';
      if (body.trimStart().startsWith(marker)) starting.push(c);
      else if (body.includes(marker)) containing.push(c);
    }
  }
  if (starting.length === 0 && containing.length === 0) return undefined;
  const me = await author();
  return starting.find((c) => writtenBy(c, me)) ?? containing.find((c) => writtenBy(c, me));
}

/**
 * Creates the preview comment on a pull request, or edits the one carrying `marker` (looked for
 * on every page of the pull request's comments) that the token's own identity wrote; a marked
 * comment by anyone else is left alone. The marker is put first in the body when the body
 * lacks it, so that the next call finds the comment.
 */
export async function upsertPreviewComment(
  api: GitHubApi,
  opts: UpsertPreviewCommentOptions,
): Promise<{ id: number; created: boolean }> {
  const marker = opts.marker ?? PREVIEW_MARKER;
  if (!marker.trim()) throw new Error('preview comment: the marker must not be empty');
  const body = opts.body.includes(marker) ? opts.body : `${marker}\n${opts.body}`;
  const { owner, repo, pullNumber } = opts;
  const existing = await findMarked(api, owner, repo, pullNumber, marker, async () => opts.author ?? (await tokenIdentity(api)));
  if (existing) {
    try {
      const c = await api.patch<IssueComment>(apiPath`/repos/${owner}/${repo}/issues/comments/${existing.id}`, { body });
      return { id: c?.id ?? existing.id, created: false };
    } catch (err) {
      // Deleted since it was listed: make a new one.
      if (!(err instanceof GitHubApiError && err.status === 404)) throw err;
    }
  }
  const c = await api.post<IssueComment>(apiPath`/repos/${owner}/${repo}/issues/${pullNumber}/comments`, { body });
  return { id: c.id, created: true };
}

/** `registry/repo` of `registry/repo:tag` (a registry's port is not a tag; a digest is dropped). */
export function repositoryOf(reference: string): string {
  const at = reference.indexOf('@');
  const name = at === -1 ? reference : reference.slice(0, at);
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

function code(s: string): string {
  return `\`${s.replace(/`/g, '')}\``;
}

/**
 * The Markdown of the preview comment: the marker as first line, the head commit (short sha),
 * a table of images (reference, digest, platforms) and a `docker pull repo@digest` block.
 */
export function previewCommentBody(opts: PreviewCommentBodyOptions): string {
  const marker = opts.marker ?? PREVIEW_MARKER;
  const sha = opts.commitSha.trim();
  const short = sha.slice(0, 7);
  const lines: string[] = [marker, '### 📦 Preview images', ''];
  const built = `Built from ${code(short)}${opts.runUrl ? ` in [this run](${opts.runUrl})` : ''}.`;
  if (opts.images.length === 0) {
    lines.push(`${built} No images were pushed.`);
    return lines.join('\n') + '\n';
  }
  lines.push(built, '', '| Image | Digest | Platforms |', '| --- | --- | --- |');
  const rows = opts.images.map((i) => {
    const platforms = i.platforms.length > 0 ? i.platforms.map(code).join(', ') : '—';
    return `| ${code(cell(i.reference))} | ${code(cell(i.digest))} | ${cell(platforms)} |`;
  });
  const pulls = opts.images.map((i) => `docker pull ${repositoryOf(i.reference)}@${i.digest}`);
  const render = (n: number): string => {
    const omitted = opts.images.length - n;
    const more = omitted > 0 ? [`| … and ${omitted} more | | |`] : [];
    return [...lines, ...rows.slice(0, n), ...more, '', '```sh', ...pulls.slice(0, n), '```', ''].join('\n');
  };
  // Stay under GitHub's limit however many images there are.
  let n = opts.images.length;
  let text = render(n);
  while (text.length > MAX_BODY - 1024 && n > 1) {
    n = Math.max(1, Math.floor(n * 0.8));
    text = render(n);
  }
  return text;
}
