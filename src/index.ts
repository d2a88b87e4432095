// machlens: the public API, composed from each folder's own barrel (`export *`), so nothing public can be left out
// by hand. Data flows one way: bytes → wasm records → typed model → verify/diff → findings → correlation.
// test/surface/ lists every name this entry exports; a name that appears or disappears fails that test.
export * from './errors';
export * from './wasm/index';
export * from './model/index';
export * from './verify/index';
export * from './diff/index';
export * from './findings/index';
export * from './scan/index';
export * from './correlate/index';
export * from './text/index';
