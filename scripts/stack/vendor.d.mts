// Types of vendor.mjs (plain JavaScript so it runs as npm's postinstall on bare node).
export declare const HLS_SOURCE: string;
export declare const HLS_TARGET: string;
/** Copies hls.min.js into the site's assets; true when it wrote the file. */
export declare function vendorHls(): boolean;
