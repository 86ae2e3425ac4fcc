// Size caps on what a registry (or a token service) sends, stated in README (Security). A
// document past its cap is refused with a message naming the cap; blobs are streamed to disk
// and cut off at their descriptor's size, never buffered whole.

/** A manifest or index (the distribution spec asks registries to accept at least 4 MiB). */
export const MAX_MANIFEST_BYTES = 8 << 20;
/** An image config (real ones are a few KiB; history-heavy ones well under 1 MiB). */
export const MAX_CONFIG_BYTES = 8 << 20;
/** A token service's JSON answer. */
export const MAX_TOKEN_RESPONSE_BYTES = 1 << 20;
/** An error body kept for the message (the rest is discarded). */
export const MAX_ERROR_BODY_BYTES = 64 << 10;
/** One page of a tag list. */
export const MAX_TAG_LIST_BYTES = 8 << 20;
/** Silence on an open response (no headers, or no body bytes) before it counts as a retryable failure. */
export const IDLE_TIMEOUT_MS = 60_000;

