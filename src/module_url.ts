// The URL of this module's file, for code that locates files of the package (src/native.ts). ES
// modules read it from import.meta; the CommonJS build (scripts/prebuild.mjs) compiles a copy of
// this file that derives it from __filename instead.
export const moduleUrl: string = import.meta.url;
