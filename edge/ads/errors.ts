// IAB VAST error codes (VAST 4.x §2.3.6.3, the same numbers in 3.0) that this edge reports through a
// VAST <Error> URL's [ERRORCODE] macro. Only the codes the edge can actually detect are named.

export const VastError = {
  /** The answer is not well-formed XML. */
  XML_PARSE: 100,
  /** Well-formed, but not a VAST (or VMAP) document we can read. */
  SCHEMA: 101,
  /** A VAST version we do not read. */
  VERSION: 102,
  /** A wrapper failed in a way none of the codes below names (HTTP error, not https). */
  WRAPPER: 300,
  /** The ad server did not answer a wrapper's VASTAdTagURI in time. */
  WRAPPER_TIMEOUT: 301,
  /** More than MAX_WRAPPER_DEPTH wrappers, or a wrapper loop. */
  WRAPPER_LIMIT: 302,
  /** A wrapper led to an empty VAST (no ads). */
  WRAPPER_EMPTY: 303,
  /** No linear creative in the InLine ad. */
  LINEAR: 400,
  /** No MediaFile we can condition (type, delivery or scheme). */
  MEDIA_UNSUPPORTED: 403,
  /** Anything else. */
  UNDEFINED: 900,
} as const;

export type VastErrorCode = (typeof VastError)[keyof typeof VastError];
